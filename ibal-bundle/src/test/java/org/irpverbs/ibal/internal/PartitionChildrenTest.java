package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
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

/**
 * Partition children: for every configured P_Key an ACTIVE port's P_Key table holds, a child
 * besides the port's own ({@code IBA\IPoIB}, instance ID {@code <port GUID>:<P_Key>}); they come
 * and go with the port and the HCA, follow a new configuration in place, and take verbs as a port
 * child does. A key the table does not hold gives no child; a bad configuration value is refused
 * with its reason and the good ones are used.
 */
public class PartitionChildrenTest {
    private final IbalRig rig = new IbalRig().withTavorAndMemFree();

    @After
    public void tearDown() {
        rig.close();
    }

    /** hca0 port 1 holds 0x8001 (index 1) and the limited 0x0002 (index 5); hca1 port 2 holds 0x8001 (index 40). */
    private void partitionedFabric() {
        rig.twoHcas().startBus();
        rig.hcas.hardware("hca0").setPKey(1, 1, 0x8001);
        rig.hcas.hardware("hca0").setPKey(1, 5, 0x0002);
        rig.hcas.hardware("hca1").setPKey(2, 40, 0x8001); // in the table's second block
    }

    private List<IbalChild> partitions() {
        List<IbalChild> out = new ArrayList<>();
        for (IbalChild c : rig.children()) {
            if (c.kind() == IbalChild.Kind.PARTITION) {
                out.add(c);
            }
        }
        return out;
    }

    private IbalChild partition(String ca, int port, int pkey) {
        for (IbalChild c : partitions()) {
            if (c.caName().equals(ca) && c.portNumber() == port && c.partitionKey() == pkey) {
                return c;
            }
        }
        return null;
    }

    private IbalChild portChild(String ca, int port) {
        for (IbalChild c : rig.children()) {
            if (c.kind() == IbalChild.Kind.PORT && c.caName().equals(ca) && c.portNumber() == port) {
                return c;
            }
        }
        return null;
    }

    private void assertPartition(String ca, int port, int pkey, int index) {
        IbalChild c = partition(ca, port, pkey);
        assertNotNull(ca + " port " + port + " has no child for " + PartitionKeys.hex(pkey) + ": " + rig.children(), c);
        long guid = rig.hcas.hardware(ca).config().portGuid(port);
        assertEquals(guid, c.portGuid());
        assertEquals(String.format("%016x:%04x", guid, pkey), c.instanceId());
        assertEquals(IbalIds.partitionInstanceId(guid, pkey), c.instanceId());
        assertEquals(List.of(IbalIds.PORT_HARDWARE_ID), c.device().hardwareIds());
        assertEquals(List.of(IbalIds.PORT_HARDWARE_ID), c.hardwareIds());
        assertEquals(DeviceObject.Kind.PHYSICAL, c.device().kind());
        assertEquals(index, c.partitionKeyIndex());
        assertTrue("reported in IBAL's bus relations",
                rig.hcas.io.busRelations().get(rig.core().device()).contains(c.device()));
    }

    @Test
    public void aChildForEachConfiguredKeyTheTableHoldsAndNoneForOneItDoesNot() {
        partitionedFabric();
        rig.partitionKeys = new String[] {"0x8001", "0x8002", "0x8003"};
        rig.startIbal();
        assertPartition("hca0", 1, 0x8001, 1);
        // configured as a full member, held as a limited one: the child has the table's key
        assertPartition("hca0", 1, 0x0002, 5);
        assertPartition("hca1", 2, 0x8001, 40);
        assertEquals("partition children: " + partitions(), 3, partitions().size());
        // 0x8003 is in no table: no child anywhere; the port children are as without partitions
        rig.assertChildren(4 + 3);
        for (String ca : List.of("hca0", "hca1")) {
            for (int port = 1; port <= 2; port++) {
                IbalChild c = portChild(ca, port);
                assertNotNull(c);
                assertEquals(IbalIds.portInstanceId(c.portGuid()), c.instanceId());
                assertEquals(0xFFFF, c.partitionKey());
                assertEquals(0, c.partitionKeyIndex());
            }
        }
        assertEquals("hca0: two port children, two partitions of port 1", 4, rig.ca("hca0").children().size());
        rig.assertClean();
    }

    @Test
    public void partitionChildrenGoWithThePortAndComeBackWithIt() {
        partitionedFabric();
        rig.partitionKeys = new String[] {"0x8001", "0x0002"};
        rig.startIbal();
        DeviceObject p8001 = partition("hca0", 1, 0x8001).device();
        DeviceObject p0002 = partition("hca0", 1, 0x0002).device();
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(false);
        IbalRig.eventually(() -> portChild("hca0", 1) == null, "hca0 port 1's child going");
        rig.settle();
        assertEquals(PnpState.DELETED, p8001.pnpState());
        assertEquals(PnpState.DELETED, p0002.pnpState());
        assertNull(partition("hca0", 1, 0x8001));
        assertNotNull("another port's partition stays", partition("hca1", 2, 0x8001));
        rig.assertChildren(3 + 1);
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(true);
        IbalRig.eventually(() -> partition("hca0", 1, 0x0002) != null && partition("hca0", 1, 0x8001) != null,
                "hca0 port 1's partition children coming back");
        rig.settle();
        assertNotSame(p8001, partition("hca0", 1, 0x8001).device());
        assertPartition("hca0", 1, 0x8001, 1);
        assertPartition("hca0", 1, 0x0002, 5);
        rig.assertChildren(4 + 3);
        rig.assertClean();
    }

    @Test
    public void theHcaLeavingTakesItsPartitionChildren() {
        partitionedFabric();
        rig.partitionKeys = new String[] {"0x8001"};
        rig.startIbal();
        DeviceObject p = partition("hca1", 2, 0x8001).device();
        rig.hcas.unplug("hca1");
        rig.settle();
        assertEquals(PnpState.DELETED, p.pnpState());
        assertEquals(1, partitions().size());
        rig.assertChildren(2 + 1);
        rig.assertClean();
    }

    @Test
    public void aNewConfigurationIsAppliedInPlace() {
        partitionedFabric();
        rig.partitionKeys = new String[] {"0x8001"};
        rig.startIbal();
        DeviceObject kept = partition("hca0", 1, 0x8001).device();
        DeviceObject dropped = partition("hca1", 2, 0x8001).device();
        rig.hcas.hardware("hca1").setPKey(1, 3, 0x8004);
        // 0x8001 stays on hca0 port 1 (the same device); 0x8004 comes on hca1 port 1; hca1 port 2's
        // 0x8001 goes with the key it no longer holds
        rig.hcas.hardware("hca1").setPKey(2, 40, 0);
        rig.core().configurePartitionKeys(PartitionKeys.parse(new String[] {"0x8001", "0x8004"}));
        rig.settle();
        assertSame(kept, partition("hca0", 1, 0x8001).device());
        assertEquals(PnpState.DELETED, dropped.pnpState());
        assertPartition("hca1", 1, 0x8004, 3);
        assertEquals(2, partitions().size());
        // and none at all
        rig.core().configurePartitionKeys(PartitionKeys.parse(new String[0]));
        rig.settle();
        assertEquals(PnpState.DELETED, kept.pnpState());
        assertEquals(List.of(), partitions());
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void aUlpOnAPartitionChildSendsVerbsWithItsPartitionsIndex() {
        partitionedFabric();
        rig.partitionKeys = new String[] {"0x8001"};
        rig.startIbal();
        TestUlpDriver ulp = new TestUlpDriver("PartitionUlp");
        rig.hcas.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
        rig.settle();
        IbalChild child = partition("hca1", 2, 0x8001);
        DeviceObject device = ulp.on(child.device());
        IbalChild seen = HcaTestRig.await(rig.hcas.io.queryInterface(device, IbalChild.class), "QUERY_INTERFACE(IbalChild)");
        assertSame(child, seen);
        Verbs v = new Verbs(rig.hcas.io, device);
        ProtectionDomain pd = HcaTestRig.await(v.allocPd(), "ALLOC_PD");
        CompletionQueue cq = HcaTestRig.await(v.createCq(4), "CREATE_CQ");
        QueuePair qp = HcaTestRig.await(v.createQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true), "CREATE_QP");
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                .set(QpAttributes.PORT).set(QpAttributes.QKEY);
        init.port = 2;
        init.pkeyIndex = seen.partitionKeyIndex();
        init.qkey = 0x80010000;
        HcaTestRig.await(v.modifyQp(qp, init), "RESET->INIT in the partition");
        assertEquals(40, HcaTestRig.await(v.queryQp(qp), "QUERY_QP").pkeyIndex);
        assertEquals(1, rig.clientsInUse("hca1", "QP"));
        // the port going takes the partition child's client and what it made
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(false);
        IbalRig.eventually(() -> device.pnpState() == PnpState.DELETED, "the ULP's device on the partition going");
        rig.settle();
        assertEquals(0, rig.clientsInUse("hca1", "QP"));
        assertEquals(0, rig.clientsInUse("hca1", "PD"));
        rig.assertClean();
    }

    @Test
    public void badConfigurationValuesAreNamedAndTheGoodOnesUsed() {
        PartitionKeys keys = PartitionKeys.parse(new String[] {"0x8001", "8002", "0x0000", "0x8000", "0xffff", "0x7fff",
                "0x10000", "0x0001", "junk", null, " 0X8005 "});
        assertEquals(List.of(0x8001, 0x8005), keys.keys());
        String p = keys.problem();
        assertNotNull(p);
        assertTrue(p, p.startsWith("partitionKeys ignores "));
        assertTrue(p, p.contains("'8002' (not 0x and 1 to 4 hex digits)"));
        assertTrue(p, p.contains("'0x0000' (an invalid P_Key (base 0))"));
        assertTrue(p, p.contains("'0x8000' (an invalid P_Key (base 0))"));
        assertTrue(p, p.contains("'0xffff' (the default partition, which the port child serves)"));
        assertTrue(p, p.contains("'0x7fff' (the default partition"));
        assertTrue(p, p.contains("'0x10000' (not 0x and 1 to 4 hex digits)"));
        assertTrue(p, p.contains("'0x0001' (a partition given already)"));
        assertTrue(p, p.contains("'junk' (not"));
        assertTrue(p, p.contains("'null' (not"));
        assertEquals(PartitionKeys.NONE, PartitionKeys.parse(null));
        assertEquals(PartitionKeys.NONE, PartitionKeys.parse(new String[0]));
        assertNull(PartitionKeys.parse(new String[] {"0x8001"}).problem());
        // IBAL runs with the good ones
        partitionedFabric();
        rig.partitionKeys = new String[] {"0x8001", "0xffff", "bad"};
        rig.startIbal();
        assertEquals(2, partitions().size());
        rig.assertChildren(4 + 2);
        rig.assertClean();
    }
}
