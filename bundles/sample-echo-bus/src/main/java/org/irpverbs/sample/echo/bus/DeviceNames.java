package org.irpverbs.sample.echo.bus;

import java.util.function.Function;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;

/**
 * Device names must be unique within an I/O manager, and more than one instance of a driver can
 * have devices at once (two revisions of the bundle during an update, two bus instances in one
 * manager). A static counter would restart at zero in a new bundle revision, so names take the
 * first free index instead: {@code base0}, {@code base1}, ...
 */
final class DeviceNames {
    /** More devices than any test or deployment creates; reaching it means names are leaking. */
    private static final int MAX_INDEX = 100_000;

    private DeviceNames() {}

    /**
     * Creates a device with the first free name {@code base<index>}. Another thread may take a
     * name between the check and the creation ({@link IoManager#createDevice} then throws), so
     * creation is retried with the next index rather than trusting the check.
     *
     * @throws IllegalStateException if no index up to {@value #MAX_INDEX} is free
     */
    static DeviceObject createUnique(IoManager io, String base, Function<String, DeviceObject> create) {
        for (int i = 0; i < MAX_INDEX; i++) {
            String name = base + i;
            if (io.device(name) != null) {
                continue;
            }
            try {
                return create.apply(name);
            } catch (IllegalArgumentException taken) {
                // created concurrently by someone else: try the next index
            }
        }
        throw new IllegalStateException("no free device name " + base + "0.." + base + (MAX_INDEX - 1));
    }
}
