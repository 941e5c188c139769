package org.irpverbs.verbs;

import java.util.EnumMap;
import java.util.Map;

/**
 * The QP state transitions the IB spec allows (IBA 10.3.1, table "QP state transition
 * attributes", as in ibv_modify_qp), with the attributes each requires and may take, per transport.
 * HCA drivers call {@link #check} before issuing the firmware command.
 *
 * <p>Thread-safe: immutable tables.
 */
public final class QpTransitions {
    private QpTransitions() {}

    private record Rule(int requiredRc, int optionalRc, int requiredUd, int optionalUd) {
    }

    private static final int ANY_RC_OPTIONAL = QpAttributes.ACCESS_FLAGS | QpAttributes.PKEY_INDEX
            | QpAttributes.MIN_RNR_TIMER | QpAttributes.TIMEOUT | QpAttributes.RETRY_CNT | QpAttributes.RNR_RETRY
            | QpAttributes.MAX_QP_RD_ATOMIC | QpAttributes.MAX_DEST_RD_ATOMIC | QpAttributes.AV;
    private static final Map<QpState, Map<QpState, Rule>> RULES = new EnumMap<>(QpState.class);

    static {
        rule(QpState.RESET, QpState.INIT,
                QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.ACCESS_FLAGS, 0,
                QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.QKEY, 0);
        rule(QpState.INIT, QpState.INIT, 0, QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.ACCESS_FLAGS,
                0, QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.QKEY);
        rule(QpState.INIT, QpState.RTR,
                QpAttributes.AV | QpAttributes.PATH_MTU | QpAttributes.DEST_QPN | QpAttributes.RQ_PSN
                        | QpAttributes.MAX_DEST_RD_ATOMIC | QpAttributes.MIN_RNR_TIMER,
                QpAttributes.PKEY_INDEX | QpAttributes.ACCESS_FLAGS,
                0, QpAttributes.PKEY_INDEX | QpAttributes.QKEY);
        rule(QpState.RTR, QpState.RTS,
                QpAttributes.SQ_PSN | QpAttributes.TIMEOUT | QpAttributes.RETRY_CNT | QpAttributes.RNR_RETRY
                        | QpAttributes.MAX_QP_RD_ATOMIC,
                QpAttributes.ACCESS_FLAGS | QpAttributes.MIN_RNR_TIMER,
                QpAttributes.SQ_PSN, QpAttributes.QKEY);
        rule(QpState.RTS, QpState.RTS, 0, QpAttributes.ACCESS_FLAGS | QpAttributes.MIN_RNR_TIMER, 0, QpAttributes.QKEY);
        rule(QpState.RTS, QpState.SQD, 0, 0, 0, 0);
        rule(QpState.SQD, QpState.RTS, 0, QpAttributes.ACCESS_FLAGS | QpAttributes.MIN_RNR_TIMER, 0, QpAttributes.QKEY);
        rule(QpState.SQD, QpState.SQD, 0, ANY_RC_OPTIONAL, 0, QpAttributes.QKEY | QpAttributes.PKEY_INDEX);
        rule(QpState.SQE, QpState.RTS, 0, QpAttributes.ACCESS_FLAGS | QpAttributes.MIN_RNR_TIMER, 0, QpAttributes.QKEY);
        for (QpState from : QpState.values()) {
            rule(from, QpState.RESET, 0, 0, 0, 0);
            rule(from, QpState.ERR, 0, 0, 0, 0);
        }
    }

    private static void rule(QpState from, QpState to, int requiredRc, int optionalRc, int requiredUd, int optionalUd) {
        RULES.computeIfAbsent(from, f -> new EnumMap<>(QpState.class))
                .put(to, new Rule(requiredRc | QpAttributes.STATE, optionalRc, requiredUd | QpAttributes.STATE, optionalUd));
    }

    /**
     * Checks a MODIFY_QP request against the QP's current state.
     *
     * @return null if the transition is allowed with exactly these attributes, else the reason
     *         (the driver completes the request with INVALID_PARAMETER and that message)
     */
    public static String check(QpType type, QpState current, QpAttributes attributes) {
        QpState target = attributes.has(QpAttributes.STATE) ? attributes.state : current;
        if (target == null) {
            return "STATE is in the mask but no state is given";
        }
        Rule rule = RULES.getOrDefault(current, Map.of()).get(target);
        if (rule == null) {
            return "no transition " + current + " -> " + target;
        }
        int required = type == QpType.RC ? rule.requiredRc : rule.requiredUd;
        int optional = type == QpType.RC ? rule.optionalRc : rule.optionalUd;
        int mask = attributes.mask | QpAttributes.STATE;
        int missing = required & ~mask;
        if (missing != 0) {
            return current + " -> " + target + " on a " + type + " QP requires " + QpAttributes.names(missing);
        }
        int extra = mask & ~(required | optional);
        if (extra != 0) {
            return current + " -> " + target + " on a " + type + " QP does not take " + QpAttributes.names(extra);
        }
        return checkValues(attributes);
    }

    private static String checkValues(QpAttributes a) {
        if (a.has(QpAttributes.PORT) && (a.port < 1 || a.port > 254)) {
            return "port must be 1..254, was " + a.port;
        }
        if (a.has(QpAttributes.ACCESS_FLAGS) && (a.accessFlags & ~AccessFlags.ALL) != 0) {
            return AccessFlags.invalidReason(a.accessFlags);
        }
        if (a.has(QpAttributes.PATH_MTU) && a.pathMtu == null) {
            return "PATH_MTU is in the mask but no MTU is given";
        }
        if (a.has(QpAttributes.RETRY_CNT) && (a.retryCount < 0 || a.retryCount > 7)) {
            return "retry count must be 0..7, was " + a.retryCount;
        }
        if (a.has(QpAttributes.RNR_RETRY) && (a.rnrRetry < 0 || a.rnrRetry > 7)) {
            return "RNR retry must be 0..7, was " + a.rnrRetry;
        }
        if (a.has(QpAttributes.TIMEOUT) && (a.timeout < 0 || a.timeout > 31)) {
            return "timeout must be 0..31, was " + a.timeout;
        }
        if (a.has(QpAttributes.MIN_RNR_TIMER) && (a.minRnrTimer < 0 || a.minRnrTimer > 31)) {
            return "min RNR timer must be 0..31, was " + a.minRnrTimer;
        }
        if (a.has(QpAttributes.RQ_PSN) && (a.rqPsn & ~0xFFFFFF) != 0) {
            return "RQ PSN must fit 24 bits, was " + a.rqPsn;
        }
        if (a.has(QpAttributes.SQ_PSN) && (a.sqPsn & ~0xFFFFFF) != 0) {
            return "SQ PSN must fit 24 bits, was " + a.sqPsn;
        }
        if (a.has(QpAttributes.DEST_QPN) && (a.destQpn & ~0xFFFFFF) != 0) {
            return "destination QPN must fit 24 bits, was " + a.destQpn;
        }
        if (a.has(QpAttributes.AV) && (a.destLid <= 0 || a.destLid >= 0xC000)) {
            return "destination LID must be a unicast LID 1..0xBFFF, was " + a.destLid;
        }
        if (a.has(QpAttributes.PKEY_INDEX) && (a.pkeyIndex < 0 || a.pkeyIndex > 0xFFFF)) {
            return "P_Key index out of range: " + a.pkeyIndex;
        }
        return null;
    }
}
