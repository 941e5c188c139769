package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What an HCA function device hands out for {@code IoManager.queryInterface(hca, VerbsInterface.class)}:
 * the HCA's verbs as one versioned interface, as WinOF's {@code GUID_RDMA_INTERFACE_VERBS} with
 * its {@code InterfaceHeader.Version}. The access layer (IBAL) binds to an HCA through it; a
 * consumer checks {@link #version()} first and refuses a major version it does not know, so an
 * HCA driver and an access layer of different generations never misread each other.
 *
 * <p>The control path stays requests: {@link VerbsIoctl} codes sent as INTERNAL_DEVICE_CONTROL to
 * {@link #device()}; the speed path is {@link #speedPath()}, the same object
 * {@code queryInterface(hca, VerbsSpeedPath.class)} returns.
 *
 * <p>Thread-safe; every method returns at once and may be called at DISPATCH.
 */
@ProviderType
public interface VerbsInterface {
    /** The device interface every started HCA function device registers (how an access layer finds it). */
    String DEVICE_INTERFACE = "irpverbs.hca";
    /** Major version 1: the {@link VerbsIoctl} codes and {@link VerbsRequest} arguments of this package. */
    int MAJOR_1 = 1;
    /** The version this package describes, {@code major << 16 | minor}. */
    int CURRENT = MAJOR_1 << 16;

    /** The major part of a version. */
    static int major(int version) {
        return version >>> 16;
    }

    /** {@code major.minor}, for logs and shells. */
    static String toString(int version) {
        return major(version) + "." + (version & 0xFFFF);
    }

    /** The interface version this HCA driver implements, {@code major << 16 | minor}. */
    int version();

    /** The HCA's name (its hardware configuration's, e.g. {@code hca0}). */
    String name();

    /** The function device that serves the verbs IOCTLs. */
    DeviceObject device();

    /** The direct-call speed path of this HCA. */
    VerbsSpeedPath speedPath();
}
