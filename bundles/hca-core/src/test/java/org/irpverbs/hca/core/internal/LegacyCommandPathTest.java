package org.irpverbs.hca.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpMinorFunction;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandCompletionHandler;
import org.irpverbs.softhca.Firmware;
import org.irpverbs.softhca.cmdif.CommandInterface;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The legacy command path: the status a blocked sender is woken with reaches the driver's callback. */
public class LegacyCommandPathTest {
    private IoManager io;
    private CommandInterface commandInterface;
    private final CountDownLatch posted = new CountDownLatch(1);

    /** An HCR that takes every command and never answers: the hardware hangs, then goes. */
    private final Firmware silentFirmware = new Firmware() {
        @Override
        public boolean post(Command command, int token) {
            posted.countDown();
            return true;
        }

        @Override
        public void setCompletionHandler(CommandCompletionHandler handler) {
        }

        @Override
        public int maxOutstanding() {
            return 1;
        }

        @Override
        public int outstanding() {
            return (int) (1 - posted.getCount());
        }
    };

    @Before
    public void setUp() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("legacy-path", 2, null);
        DeviceObject pdo = io.createPhysicalDevice(DriverObject.builder("hw").build(), "hw#", List.of("TEST\\HCA"), null);
        commandInterface = CommandInterface.attach(io, pdo, "cmdif#", CommandMode.LEGACY_BLOCKING,
                TimeUnit.SECONDS.toNanos(60));
        commandInterface.bind(silentFirmware);
    }

    @After
    public void tearDown() {
        IoManagers.shutdown(io);
    }

    /**
     * Issue 10 §1.6: a legacy sender woken by a surprise removal (what the driver does on a
     * catastrophic error) was told IO_TIMEOUT, as if the firmware had been slow.
     */
    @Test
    public void aLegacyCommandWokenBySurpriseRemovalReportsDeviceRemoved() throws Exception {
        LegacyCommandPath path = new LegacyCommandPath(commandInterface, io);
        AtomicInteger reported = new AtomicInteger(Integer.MIN_VALUE);
        CountDownLatch called = new CountDownLatch(1);
        Thread sender = new Thread(() -> path.own().run(new Command.Nop(), (status, request) -> {
            reported.set(status);
            called.countDown();
        }), "legacy sender");
        sender.setDaemon(true);
        sender.start();
        assertTrue("the command reached the firmware", posted.await(30, TimeUnit.SECONDS));
        Irp surprise = new Irp(commandInterface.device().attachedTop().stackSize());
        surprise.nextLocation().setMajorFunction(MajorFunction.PNP).setMinorFunction(PnpMinorFunction.SURPRISE_REMOVAL);
        io.send(commandInterface.device(), surprise);
        assertTrue("the sender was woken", called.await(30, TimeUnit.SECONDS));
        sender.join(30_000);
        assertFalse(sender.isAlive());
        assertEquals(NtStatus.name(NtStatus.DEVICE_REMOVED), NtStatus.name(reported.get()));
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
        assertEquals(DriverVerifier.recentBugs().toString(), 0, DriverVerifier.bugCount());
    }
}
