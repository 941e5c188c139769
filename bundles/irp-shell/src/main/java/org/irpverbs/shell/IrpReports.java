package org.irpverbs.shell;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.BlockingViolation;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DeviceStatistics;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;

/**
 * The text of {@code irp:stacks} and {@code irp:stats}, kept apart from the Gogo component so it
 * can be tested against a standalone {@link IoManager}.
 *
 * <p>Everything read here is a snapshot: devices come and go while a report is built (the PnP
 * manager works on its own queue), so each stack walk is bounded and a device that disappears
 * midway just shows its last state. Nothing here blocks or takes a lock, so the commands are safe
 * on a busy system. Stateless and thread-safe.
 */
final class IrpReports {
    /** The framework's limit on stack locations; a longer walk means the links changed under us. */
    private static final int MAX_STACK_DEPTH = 64;
    /** How many recent violations and bugs {@code irp:stats} lists. */
    private static final int RECENT_SHOWN = 5;
    /** The reports' tables fit a terminal this wide: long last cells (hardware IDs, details) wrap. */
    static final int WIDTH = 120;

    private IrpReports() {}

    // ---- irp:stacks ----

    /**
     * Every device stack, top to bottom, grouped by the physical device at its bottom, then the
     * bus relations as a tree (bus → children, and a child's own stack when it is a bus too).
     */
    static String stacks(IoManager io) {
        List<DeviceObject> devices = io.devices();
        StringBuilder out = new StringBuilder();
        if (devices.isEmpty()) {
            out.append("No devices.\n");
        } else {
            Map<DeviceObject, List<DeviceObject>> stacks = stacksByBottom(devices);
            out.append("Device stacks, each from top to bottom: ").append(stacks.size()).append("\n\n");
            TextTable table = new TextTable("STACK", "KIND", "NAME", "DRIVER", "PNP STATE", "IN FLIGHT", "HARDWARE IDS")
                    .right(5).width(WIDTH);
            int number = 0;
            for (List<DeviceObject> stack : stacks.values()) {
                if (number > 0) {
                    table.blank();
                }
                number++;
                boolean first = true;
                for (DeviceObject d : stack) {
                    table.row(first ? number : null, kind(d), d.name(), d.driver().name(), d.pnpState(),
                            d.statistics().inFlight(), String.join(", ", d.hardwareIds()));
                    first = false;
                }
            }
            out.append(table.render(""));
        }
        out.append('\n').append(busTree(io.busRelations()));
        return out.toString();
    }

    /** Stacks keyed by their bottom device, in the order the bottoms were created. */
    private static Map<DeviceObject, List<DeviceObject>> stacksByBottom(List<DeviceObject> devices) {
        Map<DeviceObject, List<DeviceObject>> stacks = new LinkedHashMap<>();
        for (DeviceObject d : devices) {
            DeviceObject bottom = d.physicalDevice();
            stacks.computeIfAbsent(bottom, IrpReports::walkDown);
        }
        return stacks;
    }

    private static List<DeviceObject> walkDown(DeviceObject bottom) {
        List<DeviceObject> stack = new ArrayList<>();
        DeviceObject d = bottom.attachedTop();
        while (d != null && stack.size() < MAX_STACK_DEPTH) {
            stack.add(d);
            if (d == bottom) {
                break;
            }
            d = d.lowerDevice();
        }
        if (!stack.contains(bottom)) {
            stack.add(bottom); // the links moved while we walked: show the bottom anyway
        }
        return stack;
    }

    /**
     * The bus relations as a tree. Roots are the buses that are nobody's child (root-enumerated
     * buses); a child whose own stack reports children is expanded under it.
     */
    static String busTree(Map<DeviceObject, List<DeviceObject>> relations) {
        if (relations.isEmpty()) {
            return "Bus relations: none reported.\n";
        }
        Set<DeviceObject> children = Collections.newSetFromMap(new IdentityHashMap<>());
        relations.values().forEach(children::addAll);
        // relations are keyed by the top of the bus's stack; a child is the bottom of its stack
        Map<DeviceObject, DeviceObject> busByBottom = new IdentityHashMap<>();
        relations.keySet().forEach(bus -> busByBottom.put(bus.physicalDevice(), bus));
        StringBuilder out = new StringBuilder("Bus relations:\n");
        Set<DeviceObject> shown = Collections.newSetFromMap(new IdentityHashMap<>());
        for (DeviceObject bus : relations.keySet()) {
            if (!children.contains(bus.physicalDevice())) {
                out.append(describe(bus)).append('\n');
                shown.add(bus);
                appendChildren(out, bus, relations, busByBottom, shown, "");
            }
        }
        // buses under a child we never reached from a root (a cycle, or a snapshot in flux)
        for (DeviceObject bus : relations.keySet()) {
            if (!shown.contains(bus)) {
                out.append(describe(bus)).append('\n');
                shown.add(bus);
                appendChildren(out, bus, relations, busByBottom, shown, "");
            }
        }
        return out.toString();
    }

    private static void appendChildren(StringBuilder out, DeviceObject bus, Map<DeviceObject, List<DeviceObject>> relations,
            Map<DeviceObject, DeviceObject> busByBottom, Set<DeviceObject> shown, String indent) {
        List<DeviceObject> kids = relations.getOrDefault(bus, List.of());
        for (int i = 0; i < kids.size(); i++) {
            DeviceObject child = kids.get(i);
            boolean last = i == kids.size() - 1;
            List<String> units = new ArrayList<>();
            units.add(describe(child));
            List<String> ids = child.hardwareIds();
            for (int k = 0; k < ids.size(); k++) {
                units.add((k == 0 ? "[" : "") + ids.get(k) + (k == ids.size() - 1 ? "]" : ","));
            }
            DeviceObject top = child.attachedTop();
            units.add(top != child ? "-> " + describe(top) : "(no driver attached)");
            appendWrapped(out, indent + (last ? "`-- " : "|-- "), indent + (last ? "    " : "|   ") + "    ", units);
            DeviceObject childBus = busByBottom.get(child);
            if (childBus != null && shown.add(childBus)) {
                appendChildren(out, childBus, relations, busByBottom, shown, indent + (last ? "    " : "|   "));
            }
        }
    }

    /**
     * {@code units} joined by spaces after {@code first}, a new line (after {@code continuation})
     * before a unit that would make the line wider than {@link #WIDTH}.
     */
    private static void appendWrapped(StringBuilder out, String first, String continuation, List<String> units) {
        StringBuilder line = new StringBuilder(first);
        boolean empty = true;
        for (String unit : units) {
            if (!empty && line.length() + 1 + unit.length() > WIDTH) {
                out.append(line).append('\n');
                line = new StringBuilder(continuation);
                empty = true;
            }
            line.append(empty ? "" : " ").append(unit);
            empty = false;
        }
        out.append(line).append('\n');
    }

    private static String describe(DeviceObject d) {
        return d.name() + " (" + kind(d) + ", " + d.driver().name() + ", " + d.pnpState() + ")";
    }

    static String kind(DeviceObject d) {
        return switch (d.kind()) {
            case PHYSICAL -> "PDO";
            case FUNCTION -> "FDO";
            case FILTER -> "filter";
        };
    }

    // ---- irp:stats ----

    /**
     * Request counters of every device, a total row, and the two health counters tests assert on:
     * blocking at DISPATCH and driver bugs found by the verifier, with the most recent of each.
     */
    static String stats(IoManager io) {
        List<DeviceObject> devices = io.devices();
        StringBuilder out = new StringBuilder();
        if (devices.isEmpty()) {
            out.append("No devices.\n");
        } else {
            out.append("Requests per device (in creation order):\n\n");
            TextTable table = new TextTable("DEVICE", "KIND", "DRIVER", "IN FLIGHT", "COMPLETED", "FAILED", "CANCELLED",
                    "TIMED OUT", "DETAILS").right(3, 4, 5, 6, 7).width(WIDTH);
            long inFlight = 0;
            long completed = 0;
            long failed = 0;
            long cancelled = 0;
            long timedOut = 0;
            for (DeviceObject d : devices) {
                DeviceStatistics s = d.statistics();
                table.row(d.name(), kind(d), d.driver().name(), s.inFlight(), s.completed(), s.failed(), s.cancelled(),
                        s.timedOut(), details(d));
                inFlight += s.inFlight();
                completed += s.completed();
                failed += s.failed();
                cancelled += s.cancelled();
                timedOut += s.timedOut();
            }
            table.blank();
            table.row("total", null, null, inFlight, completed, failed, cancelled, timedOut);
            out.append(table.render(""));
            out.append("\nA request counts once on every device it passed through.\n");
        }
        out.append('\n');
        long violations = BlockingDetector.violationCount();
        out.append("Blocking at DISPATCH: ").append(violations).append(" violation(s) (detection ")
                .append(BlockingDetector.mode()).append(")\n");
        if (violations > 0) {
            for (BlockingViolation v : last(BlockingDetector.recentViolations())) {
                out.append("  - ").append(v.thread()).append(" in ").append(v.where()).append(": ").append(v.what())
                        .append('\n');
            }
        }
        long bugs = DriverVerifier.bugCount();
        out.append("Driver bugs (DriverVerifier): ").append(bugs).append('\n');
        if (bugs > 0) {
            for (String bug : last(DriverVerifier.recentBugs())) {
                out.append("  - ").append(bug).append('\n');
            }
        }
        return out.toString();
    }

    private static <T> List<T> last(List<T> recent) {
        return recent.subList(Math.max(0, recent.size() - RECENT_SHOWN), recent.size());
    }

    /**
     * A driver that wants its per-device state in the report overrides its extension's
     * {@code toString()} (which must be thread-safe and must not block); other extensions show
     * nothing rather than an identity hash.
     */
    static String details(DeviceObject d) {
        Object extension = d.extension();
        if (extension == null) {
            return "";
        }
        try {
            if (extension.getClass().getMethod("toString").getDeclaringClass() == Object.class) {
                return "";
            }
            return extension.toString().replace('\n', ' ');
        } catch (NoSuchMethodException impossible) {
            return "";
        } catch (RuntimeException e) {
            return "(details failed: " + e + ")";
        }
    }
}
