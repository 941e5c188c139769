package org.irpverbs.hca.core.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.ScatterGatherList;
import org.irpverbs.verbs.VerbsRequest;

/**
 * QUERY_CA (from what START learned: QUERY_FW, QUERY_DEV_LIM, the profile; no command),
 * QUERY_PORT (a MAD_IFC with SubnGet(PortInfo), so that the LID and state a subnet manager set are
 * what the client sees) and LOCAL_MAD (a client's MAD through MAD_IFC).
 */
final class QueryVerbs {
    /** mthca reports board revision A0. */
    static final int HARDWARE_VERSION = 0xA0;
    private static final AtomicLong TRANSACTION_IDS = new AtomicLong(1);

    private QueryVerbs() {}

    static int queryCa(VerbCall call) {
        FunctionDevice d = call.device;
        HcaConfig config = d.config();
        Command.DeviceLimits limits = d.limits();
        Tables t = d.tables();
        HcaModel model = config.model();
        CaAttributes attributes = new CaAttributes(model.name() + " (" + model.codeName() + ")",
                d.firmware().version(), config.nodeGuid(), config.nodeGuid(), HcaModel.VENDOR_MELLANOX, model.deviceId(),
                HARDWARE_VERSION, config.ports(), t.qps.capacity(), limits.maxQpWr(),
                Math.min(limits.maxSge(), ScatterGatherList.MAX), t.cqs.capacity(), limits.maxCqe(), t.mpts.capacity(),
                t.pds.capacity(), t.mcgs.capacity(), limits.maxInlineData(), d.profile().memFree());
        call.succeed(attributes);
        return NtStatus.SUCCESS;
    }

    private static int rejectPort(VerbCall call, HcaConfig config, int port) {
        return call.reject(NtStatus.INVALID_PARAMETER,
                "port must be 1.." + config.ports() + " on " + config.name() + ", was " + port);
    }

    /** LOCAL_MAD: one MAD_IFC; the result is the agent's response MAD or null. */
    static int localMad(VerbCall call) {
        VerbsRequest.LocalMad request = (VerbsRequest.LocalMad) call.request;
        HcaConfig config = call.device.config();
        int port = request.port;
        if (port < 1 || port > config.ports()) {
            return rejectPort(call, config, port);
        }
        if (request.mad.length != PortInfoMad.MAD_SIZE) {
            return call.reject(NtStatus.INVALID_PARAMETER,
                    "a MAD is " + PortInfoMad.MAD_SIZE + " bytes, was " + request.mad.length);
        }
        int result = call.pend();
        call.commands().run(new Command.MadIfc(port, request.mad), (status, command) -> {
            if (!NtStatus.isSuccess(status)) {
                call.fail(status, VerbCall.commandFailed("LOCAL_MAD port " + port, status, command));
                return;
            }
            call.succeed(command.output() instanceof byte[] response ? response : null);
        });
        return result;
    }

    static int queryPort(VerbCall call) {
        VerbsRequest.QueryPort request = (VerbsRequest.QueryPort) call.request;
        HcaConfig config = call.device.config();
        int port = request.port;
        if (port < 1 || port > config.ports()) {
            return rejectPort(call, config, port);
        }
        int result = call.pend();
        byte[] mad = PortInfoMad.request(port, TRANSACTION_IDS.getAndIncrement());
        call.commands().run(new Command.MadIfc(port, mad), (status, command) -> {
            if (!NtStatus.isSuccess(status)) {
                call.fail(status, VerbCall.commandFailed("QUERY_PORT " + port, status, command));
                return;
            }
            byte[] response = command.output() instanceof byte[] b ? b : null;
            String problem = PortInfoMad.problem(response);
            if (problem != null) {
                call.fail(NtStatus.INTERNAL_ERROR, "QUERY_PORT " + port + ": " + problem);
                return;
            }
            call.succeed(PortInfoMad.attributes(port, response, config.portGuid(port)));
        });
        return result;
    }
}
