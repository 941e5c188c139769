package org.irpverbs.ibal;

import java.util.List;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One CA as IBAL serves it (WinOF's CI-CA object): what an {@link IbalClient}'s add() and remove()
 * receive, and what shells list.
 *
 * <p>Thread-safe; every method returns a snapshot and never blocks.
 */
@ProviderType
public interface IbalCa {
    /** Where IBAL's binding to the HCA stands. */
    enum State {
        /** QUERY_INTERFACE and the first queries are under way. */
        BINDING,
        /** Serving clients. */
        BOUND,
        /** The HCA's interface was refused (its version, or a failed query); see {@link #problem()}. */
        REFUSED,
        /** The HCA left; clients had remove(). */
        GONE
    }

    /** The HCA's name, e.g. {@code hca0}. */
    String name();

    State state();

    /** Why the CA is {@link State#REFUSED}, or null. */
    String problem();

    /** The status the binding was refused with, or SUCCESS. */
    int problemStatus();

    /** The HCA function device verbs go to (for shells; clients send verbs to their own device). */
    DeviceObject hcaDevice();

    /** The version of the HCA's verbs interface ({@code major << 16 | minor}), 0 before QUERY_INTERFACE answered. */
    int interfaceVersion();

    /** QUERY_CA's answer, or null before it came. */
    CaAttributes attributes();

    /** The last QUERY_PORT answer of each port, port 1 first; empty before the ports were queried. */
    List<PortAttributes> ports();

    /** The child devices IBAL currently reports for this CA (one per ACTIVE port). */
    List<IbalChild> children();

    /** The HCA's speed path (direct calls; IBAL adds nothing to them), or null before binding. */
    VerbsSpeedPath speedPath();

    /**
     * The MAD service of an ACTIVE port (its QP0 and QP1, where agents register), or null while
     * the port is not active. IBAL starts it when the port's child appears and stops it when the
     * child goes; until its start finished, registering an agent fails with DEVICE_NOT_READY.
     */
    org.irpverbs.ibal.mad.MadService madService(int port);
}
