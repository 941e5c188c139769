package org.irpverbs.hca.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.StartupFailure;
import org.irpverbs.hca.core.StartupState;
import org.irpverbs.hca.core.StartupStep;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.SoftHcaHardware;
import org.irpverbs.softhca.cmdif.HcrRequest;
import org.irpverbs.verbs.SpecialQpType;

/**
 * START's command chain: the context-memory mode's bring-up (ending with INIT_HCA), then SW2HW_EQ
 * for the event queue, CONF_SPECIAL_QP for the special QPs and INIT_IB for each port. Each command is sent from the previous one's
 * completion; the first failure completes START with that command's status.
 * <pre>
 *   Tavor:    SYS_EN ─► QUERY_FW ─► QUERY_DEV_LIM ─► INIT_HCA ─┐
 *   mem-free: QUERY_FW ─► MAP_FA ─► RUN_FW ─► QUERY_DEV_LIM ─► INIT_HCA ─┤
 *                                                  SW2HW_EQ ◄───────────┘
 *                                                  CONF_SPECIAL_QP SMI, GSI
 *                                                  INIT_IB port 1 ... port n ─► STARTED
 * </pre>
 * QUERY_FW raises the command interface's bound from 1 to the firmware's; QUERY_DEV_LIM's limits
 * and INIT_HCA's profile size the device's tables.
 *
 * <p>Not thread-safe: one command at a time, each step started by the previous completion.
 */
final class StartSequence implements StartupState {
    private final FunctionDevice device;
    private final SoftHcaHardware hardware;
    private final CompletableFuture<Integer> result;
    private List<StartupStep> steps;
    private CommandRunner runner;
    private int next;

    StartSequence(FunctionDevice device, SoftHcaHardware hardware, CompletableFuture<Integer> result) {
        this.device = device;
        this.hardware = hardware;
        this.result = result;
    }

    void run() {
        device.attachHardware(hardware);
        List<StartupStep> all = new ArrayList<>(device.memory().startup());
        all.add(state -> {
            if (device.profile() == null) {
                throw new StartupFailure(NtStatus.INTERNAL_ERROR,
                        "the " + device.memory().mode() + " start-up sequence did not end with INIT_HCA");
            }
            return new Command.Sw2HwEq(FunctionDevice.EQN);
        });
        // as mthca_init_qp_table: tell the firmware which contexts are the ports' QP0 and QP1
        for (SpecialQpType type : SpecialQpType.values()) {
            all.add(state -> new Command.ConfSpecialQp(type, device.tables().specialQpBase(type)));
        }
        HcaConfig config = hardware.config();
        for (int port = 1; port <= config.ports(); port++) {
            int p = port;
            all.add(state -> new Command.InitIb(p, config.mtu()));
        }
        steps = all;
        runner = device.commandPath().own();
        step();
    }

    @Override
    public HcaConfig config() {
        return hardware.config();
    }

    @Override
    public Command.FirmwareInfo firmware() {
        return device.firmware();
    }

    @Override
    public Command.DeviceLimits limits() {
        return device.limits();
    }

    private void step() {
        if (next == steps.size()) {
            device.started(result);
            return;
        }
        Command command;
        try {
            command = steps.get(next++).command(this);
        } catch (StartupFailure failure) {
            device.startFailed(result, failure.status(), failure.getMessage());
            return;
        } catch (RuntimeException e) {
            device.startFailed(result, NtStatus.INTERNAL_ERROR, "start-up step " + next + " threw " + e);
            return;
        }
        runner.run(command, (status, request) -> completed(command, status, request));
    }

    private void completed(Command command, int status, HcrRequest request) {
        if (!NtStatus.isSuccess(status)) {
            device.startFailed(result, status, VerbCall.commandFailed("start of " + device.name(), status, request));
            return;
        }
        device.firmwareStarted = true;
        Object output = request.output();
        if (command instanceof Command.QueryFw) {
            if (!(output instanceof Command.FirmwareInfo info)) {
                device.startFailed(result, NtStatus.INTERNAL_ERROR, "QUERY_FW returned no firmware information");
                return;
            }
            device.firmwareInfo(info);
        } else if (command instanceof Command.QueryDevLim) {
            if (!(output instanceof Command.DeviceLimits limits)) {
                device.startFailed(result, NtStatus.INTERNAL_ERROR, "QUERY_DEV_LIM returned no device limits");
                return;
            }
            device.deviceLimits(limits);
        } else if (command instanceof Command.InitHca init) {
            if (device.limits() == null) {
                device.startFailed(result, NtStatus.INTERNAL_ERROR, "INIT_HCA ran before QUERY_DEV_LIM");
                return;
            }
            device.initialized(init.profile());
        } else if (command instanceof Command.Sw2HwEq) {
            device.eventQueueUp = true;
        } else if (command instanceof Command.InitIb initIb) {
            device.portUp(initIb.port());
        }
        step();
    }
}
