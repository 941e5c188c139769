package org.irpverbs.irp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Small drivers for building stacks by hand in tests. */
final class TestStacks {
    private TestStacks() {}

    static final int ECHO = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x801, IoctlCode.METHOD_BUFFERED,
            IoctlCode.FILE_ANY_ACCESS);
    static final int WRITE_ONLY = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x802, IoctlCode.METHOD_BUFFERED,
            IoctlCode.FILE_WRITE_ACCESS);
    static final int QUEUE = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x803, IoctlCode.METHOD_BUFFERED,
            IoctlCode.FILE_ANY_ACCESS);

    /** A bottom device that completes at once with SUCCESS and information = stack depth seen. */
    static DriverObject completingDriver(String name, List<String> trace) {
        DispatchRoutine r = (device, irp) -> {
            trace.add("dispatch " + device.name());
            irp.complete(NtStatus.SUCCESS, 42);
            return NtStatus.SUCCESS;
        };
        return DriverObject.builder(name).dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, r).build();
    }

    /** A pass-through layer that records its completion routine's call order. */
    static DriverObject passThroughDriver(String name, List<String> trace) {
        DispatchRoutine r = (device, irp) -> {
            trace.add("dispatch " + device.name());
            irp.copyCurrentToNext();
            irp.setCompletionRoutine((self, request, context) -> {
                trace.add("completion " + self.name());
                return CompletionRoutine.CONTINUE_COMPLETION;
            }, null);
            return device.lowerDevice().callDriver(irp);
        };
        return DriverObject.builder(name).dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, r).build();
    }

    /** Builds [top, middle, bottom] with the given drivers; returns the bottom (physical) device. */
    static DeviceObject stack(IoManager io, DriverObject bottom, DriverObject... above) {
        DeviceObject pdo = io.createPhysicalDevice(bottom, bottom.name() + "-pdo", List.of("TEST\\DEV"), null);
        int i = 0;
        for (DriverObject d : above) {
            DeviceObject dev = io.createDevice(d, d.name() + "-" + (i++), DeviceObject.Kind.FILTER, null);
            io.attach(dev, pdo);
        }
        return pdo;
    }

    static List<String> trace() {
        return new CopyOnWriteArrayList<>();
    }

    static Irp internal(DeviceObject target, int code) {
        Irp irp = Irp.forDevice(target);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(code);
        return irp;
    }

    /**
     * A layer whose routine re-sends the request until it has seen {@code attempts}
     * completions, tracing "attempt n STATUS" (trace may be null); {@code seen} counts them.
     */
    static DriverObject retryingDriver(int attempts, AtomicInteger seen, List<String> trace) {
        return DriverObject.builder("retry").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.copyCurrentToNext();
            irp.setCompletionRoutine(new CompletionRoutine() {
                @Override
                public int onCompletion(DeviceObject self, Irp request, Object context) {
                    int n = seen.incrementAndGet();
                    if (trace != null) {
                        trace.add("attempt " + n + " " + NtStatus.name(request.status()));
                    }
                    if (n < attempts) {
                        request.copyCurrentToNext();
                        request.setCompletionRoutine(this, null);
                        self.lowerDevice().callDriver(request);
                        return NtStatus.MORE_PROCESSING_REQUIRED;
                    }
                    return CompletionRoutine.CONTINUE_COMPLETION;
                }
            }, null);
            return d.lowerDevice().callDriver(irp);
        }).build();
    }
}
