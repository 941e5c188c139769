package org.irpverbs.verbs;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** The IB QP state machine's required and allowed attributes, and value checks. */
public class QpTransitionsTest {
    private static QpAttributes rcInit() {
        QpAttributes a = new QpAttributes().toState(QpState.INIT);
        a.pkeyIndex = 0;
        a.port = 1;
        a.accessFlags = AccessFlags.REMOTE_WRITE | AccessFlags.LOCAL_WRITE;
        return a.set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT).set(QpAttributes.ACCESS_FLAGS);
    }

    private static QpAttributes rcRtr() {
        QpAttributes a = new QpAttributes().toState(QpState.RTR);
        a.destLid = 2;
        a.pathMtu = Mtu.MTU_2048;
        a.destQpn = 0x42;
        a.rqPsn = 0;
        a.maxDestReadAtomic = 4;
        a.minRnrTimer = 12;
        return a.set(QpAttributes.AV).set(QpAttributes.PATH_MTU).set(QpAttributes.DEST_QPN).set(QpAttributes.RQ_PSN)
                .set(QpAttributes.MAX_DEST_RD_ATOMIC).set(QpAttributes.MIN_RNR_TIMER);
    }

    private static QpAttributes rcRts() {
        QpAttributes a = new QpAttributes().toState(QpState.RTS);
        a.sqPsn = 0;
        a.timeout = 14;
        a.retryCount = 7;
        a.rnrRetry = 7;
        a.maxReadAtomic = 4;
        return a.set(QpAttributes.SQ_PSN).set(QpAttributes.TIMEOUT).set(QpAttributes.RETRY_CNT)
                .set(QpAttributes.RNR_RETRY).set(QpAttributes.MAX_QP_RD_ATOMIC);
    }

    @Test
    public void rcWalksResetInitRtrRts() {
        assertNull(QpTransitions.check(QpType.RC, QpState.RESET, rcInit()));
        assertNull(QpTransitions.check(QpType.RC, QpState.INIT, rcRtr()));
        assertNull(QpTransitions.check(QpType.RC, QpState.RTR, rcRts()));
        assertNull(QpTransitions.check(QpType.RC, QpState.RTS, new QpAttributes().toState(QpState.ERR)));
        assertNull(QpTransitions.check(QpType.RC, QpState.ERR, new QpAttributes().toState(QpState.RESET)));
    }

    @Test
    public void udNeedsAQkeyAndNoPath() {
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT)
                .set(QpAttributes.QKEY);
        init.port = 1;
        assertNull(QpTransitions.check(QpType.UD, QpState.RESET, init));
        assertNull(QpTransitions.check(QpType.UD, QpState.INIT, new QpAttributes().toState(QpState.RTR)));
        QpAttributes rts = new QpAttributes().toState(QpState.RTS).set(QpAttributes.SQ_PSN);
        assertNull(QpTransitions.check(QpType.UD, QpState.RTR, rts));
        String why = QpTransitions.check(QpType.UD, QpState.INIT, rcRtr());
        assertTrue(why, why.contains("does not take"));
    }

    @Test
    public void missingAttributeIsNamed() {
        QpAttributes rtr = rcRtr();
        rtr.mask &= ~QpAttributes.DEST_QPN;
        String why = QpTransitions.check(QpType.RC, QpState.INIT, rtr);
        assertTrue(why, why.contains("requires DEST_QPN"));
    }

    @Test
    public void invalidTransitionIsNamed() {
        String why = QpTransitions.check(QpType.RC, QpState.RESET, rcRts());
        assertEquals("no transition RESET -> RTS", why);
    }

    @Test
    public void badValuesAreNamed() {
        QpAttributes init = rcInit();
        init.port = 0;
        assertTrue(QpTransitions.check(QpType.RC, QpState.RESET, init).contains("port"));
        QpAttributes rts = rcRts();
        rts.retryCount = 8;
        assertTrue(QpTransitions.check(QpType.RC, QpState.RTR, rts).contains("retry count"));
        QpAttributes rtr = rcRtr();
        rtr.destLid = 0xC001;
        assertTrue(QpTransitions.check(QpType.RC, QpState.INIT, rtr).contains("unicast LID"));
        rtr = rcRtr();
        rtr.rqPsn = 1 << 24;
        assertTrue(QpTransitions.check(QpType.RC, QpState.INIT, rtr).contains("24 bits"));
        init = rcInit();
        init.accessFlags = 64;
        assertTrue(QpTransitions.check(QpType.RC, QpState.RESET, init).contains("unknown access bits"));
    }

    @Test
    public void accessFlagRules() {
        assertNull(AccessFlags.invalidReason(AccessFlags.ALL));
        assertTrue(AccessFlags.invalidReason(AccessFlags.REMOTE_WRITE).contains("LOCAL_WRITE"));
        assertEquals("LOCAL_WRITE|REMOTE_READ", AccessFlags.toString(AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_READ));
    }

    @Test
    public void ioctlNamesAndMtus() {
        assertEquals("CREATE_QP", VerbsIoctl.name(VerbsIoctl.CREATE_QP));
        assertEquals(Mtu.MTU_2048, Mtu.ofBytes(2048));
        try {
            Mtu.ofBytes(1500);
            throw new AssertionError("accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("256, 512"));
        }
    }
}
