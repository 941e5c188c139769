package org.irpverbs.ib.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.softhca.HcaModel;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The commands against real stacks on one fabric: hca0 (MT23108, Tavor driver) and hca1 (MT25208,
 * mem-free driver).
 */
public class IbCommandsTest {
    private HcaTestRig rig;
    private IbCommands commands;

    @Before
    public void setUp() {
        rig = new HcaTestRig();
        rig.hca("hca0", HcaModel.MT23108, 1, 2).hca("hca1", HcaModel.MT25208, 3, 4);
        rig.addDriver(new TavorDriver(), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        rig.addDriver(new MemFreeDriver(), MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        rig.startBus();
        commands = new IbCommands(rig.io);
    }

    @After
    public void tearDown() {
        rig.close();
    }

    private void assertNothingLeft() {
        for (String hca : new String[] {"hca0", "hca1"}) {
            HcaDevice device = rig.hcaDevice(hca);
            assertTrue(hca + ": " + device.statistics().resources(),
                    device.statistics().resources().values().stream().allMatch(u -> u.inUse() == 0));
        }
        rig.assertClean();
    }

    @Test
    public void devinfoListsEveryHcaWithItsPorts() {
        String out = commands.devinfo();
        assertTrue(out, out.contains("hca_id:\thca0"));
        assertTrue(out, out.contains("hca_id:\thca1"));
        assertTrue(out, out.contains("MT23108 (Tavor)"));
        assertTrue(out, out.contains("MT25208 (Arbel)"));
        assertTrue(out, out.contains("context memory ICM (mem-free)"));
        assertTrue(out, out.contains("PORT_ACTIVE (4)"));
        assertTrue(out, out.matches("(?s).*port_lid:\\t+4\\n.*"));
        assertTrue(out, out.matches("(?s).*active_mtu:\t+2048 \\(4\\)\n.*"));
        assertTrue(out, out.matches("(?s).*vendor_part_id:\t+25208\n.*"));
        rig.assertClean();
    }

    @Test
    public void cmdifShowsCommandsResourcesAndContextMemory() {
        String out = commands.cmdif();
        assertTrue(out, out.contains("mode QUEUED, outstanding 0/16"));
        assertTrue(out, out.contains("QUERY_FW"));
        assertTrue(out, out.contains("SYS_EN"));
        assertTrue(out, out.contains("RUN_FW"));
        assertTrue(out, out.contains("ICM chunks mapped"));
        assertTrue(out, out.contains("tables carved at INIT_HCA"));
        rig.assertClean();
    }

    @Test
    public void writeBandwidthMovesVerifiedDataAndPrintsThePerftestColumns() {
        String out = commands.write_bw("hca0", "1", "hca1", "1", "-s", "65536", "-n", "200");
        assertTrue(out, out.contains("RDMA_Write BW Test"));
        assertTrue(out, out.contains("#bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]"));
        assertTrue(out, out.contains(" 65536      200"));
        assertTrue(out, out.contains("data verified"));
        assertNothingLeft();
    }

    @Test
    public void readAndSendBandwidthAndSendLatencyRun() {
        String read = commands.read_bw("hca1", "2", "hca0", "2", "-s", "8192", "-n", "100", "-t", "8");
        assertTrue(read, read.contains("RDMA_Read BW Test") && read.contains("data verified"));
        String send = commands.send_bw("hca0", "1", "hca1", "2", "-s", "4096", "-n", "300", "-t", "16");
        assertTrue(send, send.contains("Send BW Test") && send.contains("each of the 300 messages"));
        String lat = commands.send_lat("hca1", "1", "hca0", "2", "-s", "64", "-n", "100");
        assertTrue(lat, lat.contains("t_min[usec]") && lat.contains("99% percentile[usec]") && lat.contains(" 64      100"));
        assertTrue(lat, lat.contains("data verified"));
        assertNothingLeft();
    }

    @Test
    public void badPerftestArgumentsFailWithAMessage() {
        bad("no HCA named 'hca9'; HCAs: hca0, hca1", () -> commands.write_bw("hca9", "1", "hca1", "1"));
        bad("port must be 1..2 on hca0, was 3", () -> commands.read_bw("hca0", "3", "hca1", "1"));
        bad("unknown option -x", () -> commands.send_bw("hca0", "1", "hca1", "1", "-x", "1"));
        bad("expected 4 arguments", () -> commands.send_lat());
        assertNothingLeft();
    }

    @Test
    public void unclaimedHardwareIsListedByDevinfo() {
        rig.hca("hca2", HcaModel.MT25204, 5);
        rig.removeDrivers();
        String out = commands.devinfo();
        assertTrue(out, out.contains("(no driver) hca2: PCI\\VEN_02C9&DEV_6274"));
        assertTrue(out, out.contains("(no driver) hca0"));
        assertEquals("No HCA devices\n", commands.cmdif());
        rig.assertClean();
    }

    private static void bad(String message, Runnable command) {
        try {
            command.run();
            fail("accepted");
        } catch (IllegalArgumentException e) {
            assertTrue("'" + e.getMessage() + "' should say '" + message + "'", e.getMessage().contains(message));
        }
    }
}
