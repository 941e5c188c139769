package org.irpverbs.ibal;

import java.util.List;
import org.irpverbs.irp.DeviceObject;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A child device IBAL enumerated, as its driver and shells see it: the extension of the physical
 * device ({@code pdo.extension() instanceof IbalChild}) and also what
 * {@code IoManager.queryInterface(device, IbalChild.class)} returns anywhere in its stack.
 *
 * <p>Thread-safe; every method returns a snapshot and never blocks.
 */
@ProviderType
public interface IbalChild {
    /** What the child stands for. */
    enum Kind {
        /** A CA port (hardware ID {@link IbalIds#PORT_HARDWARE_ID}). */
        PORT,
        /**
         * A configured partition of a CA port whose P_Key table holds its P_Key (hardware ID
         * {@link IbalIds#PORT_HARDWARE_ID}, instance ID {@link IbalIds#partitionInstanceId}); since 1.1.
         */
        PARTITION,
        /** An I/O controller found through device management (hardware ID {@link IbalIds#ioControllerHardwareId}). */
        IO_CONTROLLER
    }

    Kind kind();

    /** The physical device. */
    DeviceObject device();

    /** Hardware IDs, most specific first. */
    List<String> hardwareIds();

    /** The instance ID: the port GUID for a port child, port GUID and P_Key for a partition child. */
    String instanceId();

    /** The CA (its HCA's name, e.g. {@code hca0}). */
    String caName();

    /** The port number (1-based) the child belongs to. */
    int portNumber();

    /** The port's GUID. */
    long portGuid();

    /** The port's base LID when the child was enumerated (the SM may change it later). */
    int lid();

    /**
     * The P_Key of the partition the child stands for, as the port's P_Key table holds it (its
     * membership bit included): the default partition's (0xFFFF) for a port child. Since 1.1.
     */
    int partitionKey();

    /**
     * The index of {@link #partitionKey()} in the port's P_Key table when the child was
     * enumerated (a QP's P_Key index, {@code QpAttributes.pkeyIndex}): 0 for a port child. Since 1.1.
     */
    int partitionKeyIndex();
}
