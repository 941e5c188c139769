package org.irpverbs.itests;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoctlCode;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.util.tracker.ServiceTracker;

/** Finds the sample echo device (whichever stack offers it now) and knows its IOCTL. */
final class EchoClient implements AutoCloseable {
    static final String INTERFACE = "irpverbs.sample.echo";
    static final int ECHO = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x800, IoctlCode.METHOD_BUFFERED,
            IoctlCode.FILE_ANY_ACCESS);

    private final ServiceTracker<DeviceObject, DeviceObject> tracker;

    EchoClient(BundleContext context) {
        try {
            tracker = new ServiceTracker<>(context, FrameworkUtil.createFilter(
                    "(&(objectClass=" + DeviceObject.class.getName() + ")(irp.device.interface=" + INTERFACE + "))"), null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        tracker.open();
    }

    /** The newest echo device, or null while none is registered. */
    DeviceObject current() {
        DeviceObject newest = null;
        long newestId = -1;
        var refs = tracker.getServiceReferences();
        if (refs == null) {
            return null;
        }
        for (var ref : refs) {
            long id = (Long) ref.getProperty("service.id");
            if (id > newestId) {
                newestId = id;
                newest = tracker.getService(ref);
            }
        }
        return newest;
    }

    DeviceObject await(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        DeviceObject d;
        while ((d = current()) == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (d == null) {
            throw new AssertionError("no " + INTERFACE + " device registered within " + seconds + " s");
        }
        return d;
    }

    static ByteBuffer payload(long id) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putLong(id).putLong(~id).flip();
        return b;
    }

    static boolean isPayload(ByteBuffer out, long id) {
        return out != null && out.remaining() == 16 && out.getLong(out.position()) == id && out.getLong(out.position() + 8) == ~id;
    }

    @Override
    public void close() {
        tracker.close();
    }
}
