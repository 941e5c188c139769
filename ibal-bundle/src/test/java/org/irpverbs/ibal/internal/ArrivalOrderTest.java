package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.PnpState;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * The three parties IBAL sits between, the HCAs, IBAL itself and a ULP driver of its port
 * children ({@code IBA\IPoIB}), arrive in every order (six) and leave in every order (each
 * arrival order once with the reverse departure order, once with the same one, so each of the six
 * departure orders comes twice). However they came, the ULP ends with a device on each of the
 * four port children and working verbs through each; however they go, nothing is left: no port
 * child, no ULP device, no HCA object that a client or IBAL made.
 */
@RunWith(Parameterized.class)
public class ArrivalOrderTest {
    /** One of the three parties. */
    enum Party {
        HCAS, IBAL, ULP
    }

    @Parameters(name = "arrive {0}, leave {1}")
    public static Collection<Object[]> orders() {
        List<Object[]> out = new ArrayList<>();
        for (List<Party> arrival : permutations(List.of(Party.values()))) {
            List<Party> reverse = new ArrayList<>(arrival);
            java.util.Collections.reverse(reverse);
            out.add(new Object[] {arrival, reverse});
            out.add(new Object[] {arrival, arrival});
        }
        return out;
    }

    private static List<List<Party>> permutations(List<Party> parties) {
        if (parties.isEmpty()) {
            return List.of(List.of());
        }
        List<List<Party>> out = new ArrayList<>();
        for (Party first : parties) {
            List<Party> rest = new ArrayList<>(parties);
            rest.remove(first);
            for (List<Party> tail : permutations(rest)) {
                List<Party> p = new ArrayList<>();
                p.add(first);
                p.addAll(tail);
                out.add(p);
            }
        }
        return out;
    }

    private final List<Party> arrival;
    private final List<Party> departure;
    private final IbalRig rig = new IbalRig().withTavorAndMemFree();
    private final TestUlpDriver ulp = new TestUlpDriver("OrderUlp");
    private final List<Party> present = new ArrayList<>();

    public ArrivalOrderTest(List<Party> arrival, List<Party> departure) {
        this.arrival = arrival;
        this.departure = departure;
    }

    @After
    public void tearDown() {
        rig.close();
    }

    @Test
    public void theUlpEndsOnEveryPortChildWithWorkingVerbsAndNothingIsLeftWhenAllLeave() {
        // configured but not enumerated: "the HCAs arrive" is the hca bus starting, "they leave" its
        // driver going (the bus reports default HCAs while none is configured, so configuring and
        // unplugging both would not leave the fabric empty)
        rig.twoHcas();
        for (Party p : arrival) {
            arrive(p);
        }
        rig.assertChildren(4);
        assertUlpOnEveryPortChildWithWorkingVerbs(rig, ulp, List.of("hca0", "hca1"));
        for (Party p : departure) {
            leave(p);
            assertNothingLeftOf(p);
        }
        assertNoUlpDevice(ulp);
        rig.assertChildren(0);
        rig.assertClean();
    }

    private void arrive(Party p) {
        switch (p) {
            case HCAS -> rig.startBus();
            case IBAL -> rig.startIbal();
            case ULP -> rig.hcas.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
        }
        present.add(p);
        rig.settle();
    }

    private void leave(Party p) {
        switch (p) {
            case HCAS -> HcaTestRig.await(org.irpverbs.irp.IoManagers.removeDriver(rig.hcas.io, rig.hcas.bus),
                    "removing the hca bus");
            case IBAL -> rig.stopIbal();
            case ULP -> rig.hcas.removeDriver(ulp);
        }
        present.remove(p);
        rig.settle();
    }

    /** What the party that just left took with it, checked against the parties still there. */
    private void assertNothingLeftOf(Party gone) {
        if (gone != Party.ULP && present.contains(Party.ULP)) {
            // no port children, so the ULP's devices went with them (surprise removal)
            assertNoUlpDevice(ulp);
        }
        if (present.contains(Party.HCAS)) {
            if (present.contains(Party.IBAL)) {
                // the ULP left: IBAL destroyed everything its client trees held
                for (String ca : List.of("hca0", "hca1")) {
                    for (String r : List.of("QP", "CQ", "PD")) {
                        assertEquals(ca + " " + r + " held by clients", 0, rig.clientsInUse(ca, r));
                    }
                }
                rig.assertChildren(4);
            } else {
                // IBAL left: neither its clients' objects nor its MAD services' are on the HCAs
                for (String ca : List.of("hca0", "hca1")) {
                    for (String r : List.of("QP", "CQ", "PD", "MR")) {
                        assertEquals(ca + " " + r + " in use with IBAL gone", 0,
                                rig.hcas.hcaDevice(ca).statistics().resources().get(r).inUse());
                    }
                }
                rig.assertChildren(0);
            }
        } else {
            rig.assertChildren(0);
        }
    }

    static void assertNoUlpDevice(TestUlpDriver ulp) {
        for (DeviceObject d : ulp.devices) {
            assertEquals(d.name(), PnpState.DELETED, d.pnpState());
        }
    }

    /**
     * Each port child of the CAs {@code cas} has the ULP's device on it, and a PD, a CQ and a UD QP brought
     * to INIT through that device reach the HCA (they are left in place, for the departures to
     * clean up).
     */
    static void assertUlpOnEveryPortChildWithWorkingVerbs(IbalRig rig, TestUlpDriver ulp, List<String> cas) {
        for (String ca : cas) {
            int before = rig.clientsInUse(ca, "QP");
            for (int port = 1; port <= 2; port++) {
                IbalChild child = rig.child(ca, port);
                assertNotNull(ca + " port " + port + " has no child: " + rig.children(), child);
                DeviceObject device = ulp.on(child.device());
                assertEquals(PnpState.STARTED, device.pnpState());
                Verbs v = new Verbs(rig.hcas.io, device);
                ProtectionDomain pd = HcaTestRig.await(v.allocPd(), "ALLOC_PD through " + device.name());
                CompletionQueue cq = HcaTestRig.await(v.createCq(8), "CREATE_CQ through " + device.name());
                QueuePair qp = HcaTestRig.await(v.createQp(pd, QpType.UD, cq, cq, 2, 2, 1, 0, true),
                        "CREATE_QP through " + device.name());
                QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                        .set(QpAttributes.PORT).set(QpAttributes.QKEY);
                init.port = port;
                init.qkey = 0x11110000;
                HcaTestRig.await(v.modifyQp(qp, init), "RESET->INIT through " + device.name());
                assertEquals(QpState.INIT, HcaTestRig.await(v.queryQp(qp), "QUERY_QP").state);
            }
            assertEquals(ca + ": the QPs made through its children", before + 2, rig.clientsInUse(ca, "QP"));
        }
        assertTrue(rig.core().objects().size() >= 2 * cas.size());
    }
}
