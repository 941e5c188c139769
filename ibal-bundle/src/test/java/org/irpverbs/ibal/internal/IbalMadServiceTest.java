package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;

import java.lang.reflect.InvocationTargetException;
import java.util.Set;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.internal.mad.PortMadService;
import org.irpverbs.ibal.mad.Mad;
import org.irpverbs.ibal.mad.MadAddress;
import org.irpverbs.ibal.mad.MadAgent;
import org.irpverbs.ibal.mad.MadAgentSpec;
import org.irpverbs.ibal.mad.MadHeader;
import org.irpverbs.ibal.mad.MadMethod;
import org.irpverbs.ibal.mad.MadSend;
import org.irpverbs.ibal.mad.MadService;
import org.irpverbs.ibal.mad.MadStatus;
import org.irpverbs.ibal.mad.MadTransaction;
import org.irpverbs.ibal.mad.ReceivedMad;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * IBAL runs a MAD service on every ACTIVE port (IbalCa#madService): started with the port's
 * child, stopped with it (its agents' sends settle CANCELLED), and MADs travel between two CAs'
 * services.
 */
@RunWith(Parameterized.class)
public class IbalMadServiceTest {
    /** Liveness bound only: the response comes long before (no timeout is exercised here). */
    private static final long TIMEOUT = 30_000_000_000L;

    /** Queued, and legacy (IBAL's worker threads, the HCAs' command interfaces blocking). */
    @Parameterized.Parameters(name = "{0}")
    public static java.util.List<Object[]> modes() {
        return IbalRig.modes();
    }

    private final IbalRig rig;

    public IbalMadServiceTest(IbalMode mode) {
        this.rig = new IbalRig(mode).withTavorAndMemFree();
    }

    @After
    public void tearDown() {
        rig.close();
    }

    private MadService running(String ca, int port) {
        IbalRig.eventually(() -> rig.ca(ca).madService(port) instanceof PortMadService s
                && s.state() == PortMadService.State.RUNNING, ca + " port " + port + "'s MAD service running");
        return rig.ca(ca).madService(port);
    }

    private static <T> T value(Promise<T> p, String what) {
        return HcaTestRig.value(p, what, IbalRig.LIVENESS_SECONDS);
    }

    @Test
    public void everyActivePortHasAMadServiceAndMadsTravelBetweenCas() {
        rig.twoHcas().startBus().startIbal();
        MadService a = running("hca0", 1);
        MadService b = running("hca1", 2);
        running("hca0", 2);
        running("hca1", 1);
        value(b.register(new MadAgentSpec("echo", 0x09, 1, Set.of(MadMethod.GET), Set.of()), (agent, request) ->
                agent.send(MadSend.oneWay(request.mad().response(MadStatus.SUCCESS, new byte[] {7}), request.source()))),
                "register on hca1 port 2");
        MadAgent client = value(a.register(MadAgentSpec.client("client", 0x09, 1), null), "register on hca0 port 1");
        Mad get = Mad.of(MadHeader.request(0x09, 1, MadMethod.GET, client.newTransactionId(), 0x10, 0), null);
        ReceivedMad response = value(client.send(new MadSend(get, MadAddress.gsi(4), TIMEOUT, 0)).result(),
                "GET from hca0/1 to hca1/2");
        assertEquals(7, response.mad().byteAt(Mad.DATA_OFFSET));
        assertEquals(4, response.source().lid());
        rig.assertClean();
    }

    /**
     * Regression (ShellCommandsIT): IBAL's REMOVE completed before the MAD services' stops, which
     * it had queued, had run, so "IBAL is gone" did not mean "IBAL holds nothing on the HCAs".
     */
    @Test
    public void onceIbalIsRemovedItsMadServicesHoldNothingOnTheHcas() {
        rig.twoHcas().startBus().startIbal();
        running("hca0", 1);
        running("hca0", 2);
        running("hca1", 1);
        running("hca1", 2);
        // the stops' destroys are held in hca0's stalled firmware: IBAL's REMOVE must wait for them
        org.irpverbs.softhca.engine.SoftHca hardware = rig.hcas.hardware("hca0");
        hardware.stallFirmware();
        Promise<Void> removing;
        try {
            removing = rig.startStoppingIbal();
            IbalRig.eventually(() -> hardware.stalledCommands() > 0, "the MAD services' destroys reaching hca0's firmware");
            assertFalse("IBAL's REMOVE waits for its MAD services' destroys", removing.isDone());
        } finally {
            hardware.resumeFirmware();
        }
        HcaTestRig.await(removing, "removing IBAL");
        for (String ca : java.util.List.of("hca0", "hca1")) {
            rig.hcas.hcaDevice(ca).statistics().resources().forEach((resource, usage) ->
                    assertEquals(ca + " " + resource + " right after IBAL's REMOVE", 0, usage.inUse()));
        }
        rig.assertClean();
    }

    @Test
    public void aPortGoingDownStopsItsMadServiceAndCancelsItsAgentsSends() throws InterruptedException {
        rig.twoHcas().startBus().startIbal();
        MadService a = running("hca0", 1);
        MadService b = running("hca1", 1);
        value(b.register(new MadAgentSpec("silent", 0x09, 1, Set.of(MadMethod.GET), Set.of()), (agent, request) -> { }),
                "register a silent server");
        MadAgent client = value(a.register(MadAgentSpec.client("client", 0x09, 1), null), "register");
        MadTransaction t = client.send(new MadSend(Mad.of(MadHeader.request(0x09, 1, MadMethod.GET,
                client.newTransactionId(), 0x10, 0), null), MadAddress.gsi(3), TIMEOUT, 0));
        IbalRig.eventually(() -> b.statistics().delivered() == 1, "the GET reaching the silent server");
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(false);
        HcaTestRig.resolved(t.result(), "the GET in flight", IbalRig.LIVENESS_SECONDS);
        try {
            t.result().getValue();
            throw new AssertionError("the GET should have been cancelled");
        } catch (InvocationTargetException e) {
            assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(((IoStatusException) e.getCause()).status()));
        }
        IbalRig.eventually(() -> rig.ca("hca0").madService(1) == null, "hca0 port 1's MAD service going");
        rig.settle();
        assertEquals(PortMadService.State.STOPPED, ((PortMadService) a).state());
        assertNull(rig.child("hca0", 1));
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(true);
        running("hca0", 1);
        rig.assertClean();
    }
}
