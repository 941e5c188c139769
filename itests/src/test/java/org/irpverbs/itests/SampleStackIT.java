package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.RequestorMode;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The sample two-layer stack in the container: both request paths, and their bad inputs. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SampleStackIT extends EchoContainerTest {
    @Test
    public void stackHasTwoLayersAndBlockingDetectionIsOn() throws Exception {
        DeviceObject device = echo.await(30);
        assertEquals(BlockingDetector.Mode.FAIL, BlockingDetector.mode());
        assertTrue("the framework sees JFR, so brief contention at DISPATCH is attributed: "
                + BlockingDetector.briefContentionAttributionProblem(),
                BlockingDetector.attributesBriefContention());
        DeviceObject top = device.attachedTop();
        assertEquals(DeviceObject.Kind.FUNCTION, top.kind());
        assertEquals(DeviceObject.Kind.PHYSICAL, top.lowerDevice().kind());
        assertEquals(2, top.stackSize());
    }

    @Test
    public void internalRequestRoundTrip() throws Exception {
        DeviceObject device = echo.await(30);
        IoResult r = io.internalDeviceControl(device, EchoClient.ECHO, null, EchoClient.payload(7), ByteBuffer.allocate(16))
                .getValue();
        assertEquals(NtStatus.SUCCESS, r.status());
        assertTrue(EchoClient.isPayload(r.output(), 7));
        // completed later by the lower device's timer
        IoResult later = io.internalDeviceControl(device, EchoClient.ECHO, 5_000_000L, EchoClient.payload(8),
                ByteBuffer.allocate(16)).getValue();
        assertTrue(EchoClient.isPayload(later.output(), 8));
        assertEquals(0, BlockingDetector.violationCount());
        assertEquals(0, DriverVerifier.bugCount());
    }

    @Test
    public void userPathValidatesBeforeTheDriverAndTheDriverValidatesSizes() throws Exception {
        DeviceObject device = echo.await(30);
        Object me = new Object();
        FileObject file = io.open(device, IoctlCode.FILE_READ_ACCESS, RequestorMode.USER, me).getValue();
        IoResult ok = io.deviceIoControl(me, file, EchoClient.ECHO, EchoClient.payload(9), 16).getValue();
        assertEquals(NtStatus.SUCCESS, ok.status());
        assertTrue(EchoClient.isPayload(ok.output(), 9));
        assertEquals(NtStatus.BUFFER_TOO_SMALL, io.deviceIoControl(me, file, EchoClient.ECHO, EchoClient.payload(9), 4)
                .getValue().status());
        assertEquals(NtStatus.INVALID_PARAMETER, io.deviceIoControl(me, file, EchoClient.ECHO, null, 16).getValue().status());
        int unknown = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0xBAD, IoctlCode.METHOD_BUFFERED, 0);
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, io.deviceIoControl(me, file, unknown, EchoClient.payload(1), 16)
                .getValue().status());
        assertEquals(NtStatus.INVALID_HANDLE, failure(() -> io.deviceIoControl(new Object(), file, EchoClient.ECHO,
                EchoClient.payload(1), 16).getValue()));
        io.close(file).getValue();
        assertEquals(NtStatus.INVALID_HANDLE, failure(() -> io.deviceIoControl(me, file, EchoClient.ECHO,
                EchoClient.payload(1), 16).getValue()));
        assertEquals(0, BlockingDetector.violationCount());
        assertEquals(0, DriverVerifier.bugCount());
    }

    interface Call {
        Object run() throws Exception;
    }

    private static int failure(Call call) throws Exception {
        try {
            call.run();
            return NtStatus.SUCCESS;
        } catch (InvocationTargetException e) {
            return ((IoStatusException) e.getCause()).status();
        }
    }
}
