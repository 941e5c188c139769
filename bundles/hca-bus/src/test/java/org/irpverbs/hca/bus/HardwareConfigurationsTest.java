package org.irpverbs.hca.bus;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Hashtable;
import java.util.List;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.Mtu;
import org.junit.Test;

/** A configuration's properties: what they default to, and every bad value named in its message. */
public class HardwareConfigurationsTest {
    private static Hashtable<String, Object> minimal() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", "hca7");
        p.put("model", "MT25204");
        return p;
    }

    @Test
    public void stringsAndNumbersParseAndMissingPropertiesTakeDefaults() {
        HcaConfig defaults = HardwareConfigurations.parse(minimal());
        assertEquals(HcaModel.MT25204, defaults.model());
        assertEquals(2, defaults.ports());
        assertEquals(List.of(0, 0), defaults.portLids());
        assertEquals(128L << 20, defaults.onCardMemoryBytes());
        assertEquals(HcaConfig.DEFAULT_CLASS_B_NANOS, defaults.classBNanos());
        assertEquals(Mtu.MTU_2048, defaults.mtu());
        assertEquals(1 << 16, defaults.maxQp());
        Hashtable<String, Object> p = minimal();
        p.put("model", "mt25208");
        p.put("portLids", "5, 0x6");
        p.put("onCardMemoryMiB", "64");
        p.put("logMaxOutstanding", 2);
        p.put("latencyA", 1L);
        p.put("latencyB", "20");
        p.put("latencyC", 300);
        p.put("nodeGuid", "0002:c903:0000:7000");
        p.put("mtu", "4096");
        p.put("maxQp", "1024");
        HcaConfig c = HardwareConfigurations.parse(p);
        assertEquals(HcaModel.MT25208, c.model());
        assertEquals(List.of(5, 6), c.portLids());
        assertEquals(2, c.ports());
        assertEquals(64L << 20, c.onCardMemoryBytes());
        assertEquals(4, c.maxOutstanding());
        assertEquals(1_000, c.classANanos());
        assertEquals(20_000, c.classBNanos());
        assertEquals(300_000, c.classCNanos());
        assertEquals(0x0002c90300007000L, c.nodeGuid());
        assertEquals(Mtu.MTU_4096, c.mtu());
        assertEquals(1024, c.maxQp());
    }

    @Test
    public void everyBadValueIsRejectedWithThePropertyName() {
        bad("name", null, "name is required");
        bad("name", "bad name!", "name must be");
        bad("model", "MT9999", "model must be MT23108, MT25208 or MT25204");
        bad("ports", "3", "ports must be 1..2, was 3");
        bad("ports", "two", "ports must be a whole number, was 'two'");
        bad("portLids", "1,x", "portLids must list LIDs");
        bad("portLids", "1,2,3", "portLids lists 3 LIDs; an HCA has 1 or 2 ports");
        Hashtable<String, Object> onePort = minimal();
        onePort.put("ports", 1);
        onePort.put("portLids", "1,2");
        try {
            HardwareConfigurations.parse(onePort);
            fail("two LIDs for one port accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("portLids lists 2 LID(s) for 1 port(s)"));
        }
        bad("portLids", "70000,1", "port LIDs must be 0 (unassigned) or 1..0xBFFF");
        bad("portLids", " , ", "portLids is empty");
        bad("onCardMemoryMiB", "0", "onCardMemoryMiB must be 1..4096, was 0");
        bad("logMaxOutstanding", "9", "logMaxOutstanding must be 0..8, was 9");
        bad("latencyB", "-1", "latencyB must be 0..10000000, was -1");
        bad("nodeGuid", "xyz", "nodeGuid must be up to 16 hex digits");
        bad("nodeGuid", "0", "nodeGuid must not be 0");
        bad("mtu", "1000", "mtu: MTU must be 256, 512, 1024, 2048 or 4096 bytes, was 1000");
        bad("maxQp", "100", "maxQp must be a power of two");
        bad("maxMcg", "4", "maxMcg must be a power of two in 8..");
    }

    /** Issue 10 §4.1: writing a default HCA down as a configuration changed its node GUID. */
    @Test
    public void aDefaultHcaWrittenDownAsAConfigurationIsTheSameHcaGuidIncluded() {
        Hashtable<String, Object> hca0 = new Hashtable<>();
        hca0.put("name", "hca0");
        hca0.put("model", "MT23108");
        hca0.put("portLids", "1,2");
        Hashtable<String, Object> hca1 = new Hashtable<>();
        hca1.put("name", "hca1");
        hca1.put("model", "MT25208");
        hca1.put("portLids", "3,4");
        assertEquals(HardwareConfigurations.defaults(), List.of(HardwareConfigurations.parse(hca0),
                HardwareConfigurations.parse(hca1)));
        assertEquals(0x0002C90300001000L, HardwareConfigurations.defaults().get(0).nodeGuid());
        assertEquals(0x0002C90300002000L, HardwareConfigurations.defaults().get(1).nodeGuid());
        // hcaN follows the same rule; the port GUIDs (node GUID + port) stay inside the HCA's range
        assertEquals(0x0002C9030000F000L, HardwareConfigurations.defaultNodeGuid("hca14"));
        assertEquals("other names: from the name alone, the same every time", HardwareConfigurations.defaultNodeGuid("alpha"),
                HardwareConfigurations.defaultNodeGuid(new String("alpha")));
    }

    /** Issue 10 §4.10: {@code portLid=62} was accepted silently and gave a port with LID 0. */
    @Test
    public void aMisspeltKeyIsRejectedByNameWithTheKeyItMeant() {
        Hashtable<String, Object> p = minimal();
        p.put("portLid", "62");
        try {
            HardwareConfigurations.parse(p);
            fail("portLid accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("unknown property portLid (did you mean portLids?)"));
        }
        p.remove("portLid");
        p.put("colour", "red");
        p.put("Mtu", "2048");
        try {
            HardwareConfigurations.parse(p);
            fail("colour accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("unknown properties Mtu (did you mean mtu?), colour;"));
        }
        // what ConfigAdmin and FileInstall add is not the user's mistake
        Hashtable<String, Object> managed = minimal();
        managed.put("service.pid", "org.irpverbs.hca.hardware.1234");
        managed.put("service.factoryPid", "org.irpverbs.hca.hardware");
        managed.put("felix.fileinstall.filename", "file:/opt/irpverbs/load/org.irpverbs.hca.hardware-hca7.cfg");
        assertEquals("hca7", HardwareConfigurations.parse(managed).name());
    }

    private static void bad(String key, Object value, String message) {
        Hashtable<String, Object> p = minimal();
        if (value == null) {
            p.remove(key);
        } else {
            p.put(key, value);
        }
        try {
            HardwareConfigurations.parse(p);
            fail(key + "=" + value + " accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(key + ": '" + e.getMessage() + "' should say '" + message + "'", e.getMessage().contains(message));
        }
    }
}
