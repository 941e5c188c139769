package org.irpverbs.irp;

/**
 * Creates I/O managers. Inside OSGi the framework bundle registers one as a service; tests,
 * benchmarks and embedders create their own.
 */
public final class IoManagers {
    private IoManagers() {}

    /** Whether the framework's own code was loaded (once per class loader of the framework). */
    private static final java.util.concurrent.atomic.AtomicBoolean FRAMEWORK_CODE_LOADED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * A new manager. The first one created loads the framework's classes first
     * ({@link CodePreloader}).
     *
     * @param name              names its threads
     * @param completionThreads size of the completion pool (1..64)
     * @param listener          told about device interfaces; may be null
     */
    public static IoManager create(String name, int completionThreads, DeviceInterfaceListener listener) {
        // the completion pool runs the framework's code at DISPATCH: load it here, at the caller's
        // PASSIVE, so that no completion thread loads a framework class on first use (CodePreloader)
        if (FRAMEWORK_CODE_LOADED.compareAndSet(false, true)) {
            CodePreloader.preload(IoManagers.class);
        }
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
