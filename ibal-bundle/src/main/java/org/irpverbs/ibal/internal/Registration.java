package org.irpverbs.ibal.internal;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalClient;
import org.irpverbs.ibal.IbalEvent;
import org.irpverbs.ibal.IbalIoctl;
import org.irpverbs.ibal.IbalRegistration;
import org.irpverbs.ibal.IbalRequest;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.SpinLock;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Promises;

/**
 * A registered non-driver client: its per-CA contexts (set only by a successful add()), its event
 * queue on IBAL's device, and its unregister fence. Both {@link #nextEvent} and {@link #unregister}
 * are requests to IBAL's device, so the caller gets the I/O manager's promise of a completed
 * request: claim 2 (docs/architecture.md section 1) for the client contract too.
 *
 * <p>Thread-safe: contexts change only on IBAL's serial queue, under a spin lock for readers.
 */
final class Registration implements IbalRegistration {
    /** A context that add() completed with null. */
    private static final Object NULL_CONTEXT = new Object();

    final IbalCore core;
    private final IbalClient client;
    final EventQueue<IbalEvent> events;
    private final SpinLock lock = new SpinLock();
    private final Map<IbalCa, Object> contexts = new IdentityHashMap<>();
    private final AtomicReference<Promise<Void>> fence = new AtomicReference<>();
    /** Set by the unregister operation: nothing more is delivered. */
    volatile boolean unregistered;

    Registration(IbalCore core, IbalClient client, DeviceObject ibalDevice) {
        this.core = core;
        this.client = client;
        this.events = new EventQueue<>(ibalDevice, "events of " + client.name(),
                (irp, event) -> ((IbalRequest.NextEvent) irp.currentLocation().argument()).setEvent(event));
    }

    @Override
    public IbalClient client() {
        return client;
    }

    @Override
    public Object context(IbalCa ca) {
        Object c;
        lock.lock();
        try {
            c = contexts.get(ca);
        } finally {
            lock.unlock();
        }
        return c == NULL_CONTEXT ? null : c;
    }

    boolean added(IbalCa ca) {
        lock.lock();
        try {
            return contexts.containsKey(ca);
        } finally {
            lock.unlock();
        }
    }

    void setContext(IbalCa ca, Object context) {
        lock.lock();
        try {
            contexts.put(ca, context == null ? NULL_CONTEXT : context);
        } finally {
            lock.unlock();
        }
    }

    void clearContext(IbalCa ca) {
        lock.lock();
        try {
            contexts.remove(ca);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Promise<IbalEvent> nextEvent() {
        IbalRequest.NextEvent request = new IbalRequest.NextEvent(this);
        return core.send(IbalIoctl.NEXT_EVENT, request).map(done -> request.event());
    }

    @Override
    public Promise<Void> unregister() {
        Promise<Void> existing = fence.get();
        if (existing != null) {
            return existing;
        }
        // a client IBAL already removed (IBAL itself stopped) is past the fence
        Promise<Void> sent = unregistered ? Promises.resolved(null)
                : core.send(IbalIoctl.UNREGISTER, new IbalRequest.Unregister(this)).map(done -> null);
        if (!fence.compareAndSet(null, sent)) {
            return fence.get();
        }
        return sent;
    }

    @Override
    public String toString() {
        return client.name() + (unregistered ? " (unregistered)" : "");
    }
}
