package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalClient;
import org.irpverbs.ibal.IbalEvent;
import org.irpverbs.ibal.IbalRegistration;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.PortState;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/** Linux ib_core's client contract, asynchronous: add/remove order, add failure, the fence, events as requests. */
@RunWith(Parameterized.class)
public class ClientContractTest {
    /** Queued, and legacy (IBAL's worker threads, the HCAs' command interfaces blocking). */
    @Parameterized.Parameters(name = "{0}")
    public static java.util.List<Object[]> modes() {
        return IbalRig.modes();
    }

    private final IbalRig rig;

    public ClientContractTest(IbalMode mode) {
        this.rig = new IbalRig(mode).withTavorAndMemFree();
    }
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @After
    public void tearDown() {
        rig.close();
    }

    /** Records its calls; add() succeeds with a context naming client and CA unless told to decline. */
    private final class Recorder implements IbalClient {
        final String name;
        volatile String decline;
        volatile CompletableFuture<Void> removeHeld;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletionStage<?> add(IbalCa ca) {
            calls.add(name + ".add(" + ca.name() + ")");
            if (ca.name().equals(decline)) {
                return CompletableFuture.failedFuture(new IllegalStateException(name + " does not want " + ca.name()));
            }
            return CompletableFuture.completedFuture(name + "@" + ca.name());
        }

        @Override
        public CompletionStage<Void> remove(IbalCa ca, Object context) {
            calls.add(name + ".remove(" + ca.name() + ", " + context + ")");
            CompletableFuture<Void> held = removeHeld;
            return held != null ? held : CompletableFuture.completedFuture(null);
        }
    }

    @Test
    public void addComesInRegistrationOrderAndRemoveInReverse() {
        rig.twoHcas().startBus().startIbal();
        Recorder a = new Recorder("A");
        Recorder b = new Recorder("B");
        IbalRegistration ra = rig.core().register(a);
        IbalRegistration rb = rig.core().register(b);
        rig.settle();
        assertEquals(List.of("A.add(hca0)", "A.add(hca1)", "B.add(hca0)", "B.add(hca1)"), calls);
        assertEquals("A@hca0", ra.context(rig.ca("hca0")));
        assertEquals("B@hca1", rb.context(rig.ca("hca1")));
        calls.clear();
        IbalCa hca0 = rig.ca("hca0");
        rig.hcas.unplug("hca0");
        rig.settle();
        assertEquals(List.of("B.remove(hca0, B@hca0)", "A.remove(hca0, A@hca0)"), calls);
        assertNull("the context goes with remove()", ra.context(hca0));
        calls.clear();
        rig.hcas.hca("hca2", HcaModel.MT25204, 5, 6);
        rig.settle();
        assertEquals(List.of("A.add(hca2)", "B.add(hca2)"), calls);
        assertEquals(List.of(ra, rb), rig.core().clients());
        rig.assertClean();
    }

    @Test
    public void aFailedAddMeansNothingMoreForThatCa() {
        rig.twoHcas().startBus().startIbal();
        Recorder a = new Recorder("A");
        a.decline = "hca0";
        IbalRegistration ra = rig.core().register(a);
        rig.settle();
        assertEquals(List.of("A.add(hca0)", "A.add(hca1)"), calls);
        assertNull(ra.context(rig.ca("hca0")));
        // an event on hca0 does not reach A; the next one, on hca1, does
        Promise<IbalEvent> next = ra.nextEvent();
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(false);
        IbalRig.eventually(() -> rig.ca("hca0").ports().get(0).state() == PortState.DOWN, "IBAL seeing hca0 port 1 down");
        rig.settle();
        assertFalse("A declined hca0 but got its event", next.isDone());
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(false);
        IbalEvent event = HcaTestRig.await(next, "A's next event");
        assertEquals("hca1", event.ca());
        assertEquals(AsyncEventType.PORT_DOWN, event.event().type());
        assertEquals(2, event.event().port());
        calls.clear();
        rig.hcas.unplug("hca0");
        rig.settle();
        assertEquals("no remove() for a CA whose add() failed", List.of(), calls);
        rig.assertClean();
    }

    @Test
    public void addThatThrowsIsAFailedAdd() {
        rig.twoHcas().startBus().startIbal();
        IbalRegistration r = rig.core().register(new IbalClient() {
            @Override
            public String name() {
                return "thrower";
            }

            @Override
            public CompletionStage<?> add(IbalCa ca) {
                throw new IllegalStateException("broken client");
            }

            @Override
            public CompletionStage<Void> remove(IbalCa ca, Object context) {
                calls.add("thrower.remove");
                return CompletableFuture.completedFuture(null);
            }
        });
        rig.settle();
        assertNull(r.context(rig.ca("hca0")));
        HcaTestRig.await(r.unregister(), "unregister");
        assertEquals(List.of(), calls);
        rig.assertClean();
    }

    @Test
    public void unregisterIsAFenceGivenAsACompletion() {
        rig.twoHcas().startBus().startIbal();
        Recorder a = new Recorder("A");
        IbalRegistration ra = rig.core().register(a);
        rig.settle();
        Promise<IbalEvent> pending = ra.nextEvent();
        calls.clear();
        CompletableFuture<Void> held = new CompletableFuture<>();
        a.removeHeld = held;
        Promise<Void> fence = ra.unregister();
        rig.hcas.io.queueWorkItem(() -> { });
        IbalRig.eventually(() -> calls.size() == 1, "the first remove()");
        // remove() of hca1 (the last CA first) is not finished: the fence cannot have completed
        assertEquals(List.of("A.remove(hca1, A@hca1)"), calls);
        assertFalse(fence.isDone());
        assertFalse(pending.isDone());
        a.removeHeld = null;
        held.complete(null);
        HcaTestRig.await(fence, "the fence");
        assertEquals(List.of("A.remove(hca1, A@hca1)", "A.remove(hca0, A@hca0)"), calls);
        IoStatusException cancelled = HcaTestRig.failure(pending, "the pending event request");
        assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(cancelled.status()));
        assertTrue("unregister twice is the same fence", ra.unregister() == fence);
        // after the fence nothing of A's runs again
        calls.clear();
        rig.hcas.hca("hca2", HcaModel.MT25204, 5, 6);
        rig.hcas.unplug("hca1");
        rig.settle();
        assertEquals(List.of(), calls);
        assertEquals(List.of(), rig.core().clients());
        IoStatusException after = HcaTestRig.failure(ra.nextEvent(), "an event request after unregister");
        assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(after.status()));
        rig.assertClean();
    }

    @Test
    public void eventsWaitForTheNextRequestInOrder() {
        rig.twoHcas().startBus().startIbal();
        IbalRegistration r = rig.core().register(new Recorder("A"));
        rig.settle();
        rig.hcas.hardware("hca1").fabricPort(1).setLinkUp(false);
        IbalRig.eventually(() -> rig.child("hca1", 1) == null, "hca1 port 1's child going");
        rig.hcas.hardware("hca1").fabricPort(1).setLinkUp(true);
        IbalRig.eventually(() -> rig.child("hca1", 1) != null, "hca1 port 1's child coming back");
        IbalEvent down = HcaTestRig.await(r.nextEvent(), "first event");
        IbalEvent up = HcaTestRig.await(r.nextEvent(), "second event");
        assertEquals(AsyncEventType.PORT_DOWN, down.event().type());
        assertEquals(AsyncEventType.PORT_ACTIVE, up.event().type());
        assertEquals("hca1", up.ca());
        rig.assertClean();
    }

    @Test
    public void ibalGoingAwayRemovesItsClientsAndFailsTheirRequests() {
        rig.twoHcas().startBus().startIbal();
        Recorder a = new Recorder("A");
        IbalRegistration ra = rig.core().register(a);
        rig.settle();
        Promise<IbalEvent> pending = ra.nextEvent();
        calls.clear();
        rig.stopIbal();
        assertEquals(List.of("A.remove(hca1, A@hca1)", "A.remove(hca0, A@hca0)"), calls);
        IoStatusException gone = HcaTestRig.failure(pending, "the pending event request");
        assertEquals(NtStatus.name(NtStatus.DELETE_PENDING), NtStatus.name(gone.status()));
        HcaTestRig.await(ra.unregister(), "unregister after IBAL went");
        try {
            rig.core().register(new Recorder("late"));
            throw new AssertionError("registering with a stopped IBAL succeeded");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("IBAL is not running"));
        }
        rig.assertClean();
    }
}
