package org.irpverbs.hca.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.PortState;
import org.junit.Test;

/** QUERY_PORT's SMP: the request's header and the PortInfo fields at IBA 14.2.5.6's offsets. */
public class PortInfoMadTest {
    @Test
    public void requestIsALidRoutedSubnGetPortInfo() {
        ByteBuffer mad = ByteBuffer.wrap(PortInfoMad.request(2, 0x1234));
        assertEquals(256, mad.capacity());
        assertEquals(1, mad.get(0));
        assertEquals(0x01, mad.get(1));
        assertEquals(1, mad.get(2));
        assertEquals(0x01, mad.get(3));
        assertEquals(0x1234L, mad.getLong(8));
        assertEquals(0x0015, mad.getShort(16));
        assertEquals(2, mad.getInt(20));
    }

    @Test
    public void responseFieldsAreReadFromTheSmpData() {
        byte[] response = PortInfoMad.request(1, 1);
        ByteBuffer b = ByteBuffer.wrap(response);
        b.put(3, (byte) 0x81);
        b.putLong(64 + 8, 0xfe80000000000000L);
        b.putShort(64 + 16, (short) 7);
        b.putShort(64 + 18, (short) 1);
        b.put(64 + 32, (byte) 0x14);
        b.put(64 + 36, (byte) (4 << 4));
        b.put(64 + 41, (byte) 5);
        b.putInt(64 + 20, 0x02510868);
        b.put(64 + 31, (byte) 0x02); // LinkWidthActive 4X
        b.put(64 + 33, (byte) (5 << 4)); // PortPhysicalState LinkUp
        b.put(64 + 35, (byte) (2 << 4)); // LinkSpeedActive 5.0 Gb/s
        assertNull(PortInfoMad.problem(response));
        PortAttributes p = PortInfoMad.attributes(1, response, 0x1001);
        assertEquals(7, p.lid());
        assertEquals(1, p.smLid());
        assertEquals(PortState.ACTIVE, p.state());
        assertEquals(Mtu.MTU_2048, p.activeMtu());
        assertEquals(Mtu.MTU_4096, p.maxMtu());
        assertEquals(0xfe80000000000000L, p.gidPrefix());
        assertEquals(0x1001, p.portGuid());
        assertEquals(0x02510868, p.capabilityMask());
        assertEquals(4, p.activeWidth());
        assertEquals(5.0, p.activeSpeedGbps(), 0);
        assertEquals(20.0, p.rateGbps(), 0);
        assertEquals("LinkUp", p.physicalStateName());
    }

    @Test
    public void aMissingOrBadResponseIsNamed() {
        assertTrue(PortInfoMad.problem(null).contains("no PortInfo response"));
        byte[] notAnswered = PortInfoMad.request(1, 1);
        assertTrue(PortInfoMad.problem(notAnswered).contains("method 0x01"));
        ByteBuffer b = ByteBuffer.wrap(notAnswered);
        b.put(3, (byte) 0x81);
        b.putShort(4, (short) 0x001C);
        assertTrue(PortInfoMad.problem(notAnswered).contains("MAD status 0x001C"));
    }
}
