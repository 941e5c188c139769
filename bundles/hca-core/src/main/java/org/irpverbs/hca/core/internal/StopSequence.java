package org.irpverbs.hca.core.internal;

import java.util.ArrayList;
import java.util.List;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;

/**
 * REMOVE's command chain, undoing what START did: CLOSE_IB for each port brought up, HW2SW_EQ,
 * CLOSE_HCA, then the mode's shutdown commands (Tavor: SYS_DIS). Best effort: every command has the
 * command interface's timeout, a failure is recorded and the next command still goes, and the chain
 * always ends by running {@code then}.
 *
 * <p>Not thread-safe: one command at a time.
 */
final class StopSequence {
    private final FunctionDevice device;
    private final Runnable then;
    private final List<Command> commands = new ArrayList<>();
    private CommandRunner runner;
    private int next;

    StopSequence(FunctionDevice device, Runnable then) {
        this.device = device;
        this.then = then;
    }

    void run() {
        int ports = device.portsUp();
        for (int port = 1; port < 32; port++) {
            if ((ports & 1 << port) != 0) {
                commands.add(new Command.CloseIb(port));
            }
        }
        if (device.eventQueueUp) {
            commands.add(new Command.Hw2SwEq(FunctionDevice.EQN));
        }
        if (device.hcaInitialized) {
            commands.add(new Command.CloseHca());
        }
        commands.addAll(device.memory().shutdown());
        runner = device.commandPath().own();
        step();
    }

    private void step() {
        if (next == commands.size()) {
            then.run();
            return;
        }
        Command command = commands.get(next++);
        runner.run(command, (status, request) -> {
            if (!NtStatus.isSuccess(status)) {
                device.problem(VerbCall.commandFailed("shutdown of " + device.name(), status, request));
            }
            step();
        });
    }
}
