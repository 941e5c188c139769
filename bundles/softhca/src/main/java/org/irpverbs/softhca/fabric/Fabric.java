package org.irpverbs.softhca.fabric;

import java.util.List;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.verbs.Mtu;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A fabric: one switch that ports attach to, addressed by LID. Registered as an OSGi service (one
 * per framework, by the soft HCA bundle); HCAs attach their ports when their firmware brings a
 * port up (INIT_IB) and detach them when it goes down.
 *
 * <p>Thread-safe; no method blocks (attach and detach take a spin lock for a few instructions).
 */
@ProviderType
public interface Fabric {
    String name();

    /**
     * Attaches a port with its link up.
     *
     * @param name     for counters and shells, e.g. "hca0/1"
     * @param guid     the port GUID
     * @param lid      its unicast LID (1..0xBFFF), or 0 for none yet
     * @param mtu      the largest payload it takes
     * @param receiver where packets for it go; must not block
     * @throws IllegalArgumentException if the LID is invalid or another port has it
     */
    FabricPort attach(String name, long guid, int lid, Mtu mtu, FrameReceiver receiver);

    /** The attached ports, in attach order. */
    List<FabricPort> ports();

    /** The port with this unicast LID, or null. */
    FabricPort port(int lid);

    /** The ports that joined multicast group {@code mlid}. */
    List<FabricPort> multicastMembers(int mlid);

    /** The MGID the members of {@code mlid} joined with, or null (the SM's MLID-to-MGID association). */
    Gid multicastGid(int mlid);

    SwitchCounters switchCounters();

    /** Adds a transport for LIDs that are not local. */
    void addTransport(FabricTransport transport);

    void removeTransport(FabricTransport transport);
}
