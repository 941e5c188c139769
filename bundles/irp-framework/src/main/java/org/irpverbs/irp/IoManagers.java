package org.irpverbs.irp;

/**
 * Creates I/O managers. Inside OSGi the framework bundle registers one as a service; tests,
 * benchmarks and embedders create their own.
 */
public final class IoManagers {
    private IoManagers() {}

    /**
     * A new manager.
     *
     * @param name              names its threads
     * @param completionThreads size of the completion pool (1..64)
     * @param listener          told about device interfaces; may be null
     */
    public static IoManager create(String name, int completionThreads, DeviceInterfaceListener listener) {
        return new IoManagerImpl(name, completionThreads, listener);
    }

    /** Stops the manager's threads (after its devices are gone). */
    public static void shutdown(IoManager manager) {
        ((IoManagerImpl) manager).shutdown();
    }

    /** Registers a driver with a manager outside OSGi (inside, drivers are services). */
    public static void addDriver(IoManager manager, Driver driver, DriverRegistration registration) {
        ((IoManagerImpl) manager).pnp().addDriver(driver, registration);
    }

    /** Removes a driver outside OSGi: its devices are removed in order. */
    public static org.osgi.util.promise.Promise<Void> removeDriver(IoManager manager, Driver driver) {
        return ((IoManagerImpl) manager).pnp().removeDriver(driver);
    }
}
