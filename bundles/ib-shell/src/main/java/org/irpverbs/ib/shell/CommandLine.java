package org.irpverbs.ib.shell;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A shell command's arguments, parsed against what the command accepts ({@link Spec}): options
 * as perftest and ibv_devinfo take them ({@code -s 4096}, {@code --size 4096},
 * {@code --size=4096}, flags such as {@code -v}), {@code -h}/{@code --help} on every command, and
 * positional arguments. Anything else fails with a {@link CommandFailure} of one line that names
 * the argument and points to {@code -h}. A token that starts with {@code -} and a digit is a
 * (negative) positional argument, so that {@code -1} as a port is rejected as a port.
 *
 * <p>Immutable once parsed; a {@link Spec} is immutable and thread-safe.
 */
final class CommandLine {
    /**
     * An option a command accepts.
     *
     * @param name        the short form, e.g. {@code -s}
     * @param longName    the long form, e.g. {@code --size}, or null
     * @param value       what its value is, e.g. {@code bytes}; null for a flag
     * @param description one line for the usage
     */
    record Option(String name, String longName, String value, String description) {
        boolean named(String token) {
            return token.equals(name) || token.equals(longName);
        }

        String synopsis() {
            return (longName == null ? name : name + ", " + longName) + (value == null ? "" : " <" + value + ">");
        }
    }

    /** What a command accepts, and its usage text. */
    static final class Spec {
        final String command;
        private final String arguments;
        private final String description;
        private final int positionalCount;
        private final List<Option> options;

        /**
         * @param command     the command as typed, e.g. {@code ib:write_bw}
         * @param arguments   its positional arguments for the usage line, e.g. {@code <hca> <port>}
         * @param positional  how many positional arguments it takes (exactly)
         * @param description what it does, for the usage
         */
        Spec(String command, String arguments, int positional, String description, Option... options) {
            this.command = command;
            this.arguments = arguments;
            this.positionalCount = positional;
            this.description = description;
            this.options = List.of(options);
        }

        /** The usage: synopsis, description, one line per option. */
        String usage() {
            StringBuilder out = new StringBuilder("usage: ").append(command);
            if (!arguments.isEmpty()) {
                out.append(' ').append(arguments);
            }
            for (Option o : options) {
                out.append(" [").append(o.name()).append(o.value() == null ? "" : " <" + o.value() + ">").append(']');
            }
            out.append("\n\n").append(description).append("\n\n");
            int width = "-h, --help".length();
            for (Option o : options) {
                width = Math.max(width, o.synopsis().length());
            }
            for (Option o : options) {
                out.append(String.format("  %-" + width + "s  %s%n", o.synopsis(), o.description()));
            }
            out.append(String.format("  %-" + width + "s  %s%n", "-h, --help", "print this usage"));
            return out.toString();
        }

        /** A failure of this command: {@code ib:write_bw: <why>}. */
        CommandFailure failure(String why) {
            return new CommandFailure(command + ": " + why);
        }

        /** A failure of the arguments, pointing to {@code -h}. */
        CommandFailure usageFailure(String why) {
            return failure(why + " ('" + command + " -h' shows the usage)");
        }

        CommandLine parse(String... args) {
            List<String> positional = new ArrayList<>();
            Map<String, String> values = new LinkedHashMap<>();
            String[] given = args == null ? new String[0] : args;
            boolean optionsEnd = false;
            for (int i = 0; i < given.length; i++) {
                String token = given[i];
                if (optionsEnd || !token.startsWith("-") || token.length() == 1 || Character.isDigit(token.charAt(1))) {
                    positional.add(token);
                    continue;
                }
                if (token.equals("--")) {
                    optionsEnd = true;
                    continue;
                }
                if (token.equals("-h") || token.equals("--help")) {
                    return new CommandLine(this, true, List.of(), Map.of());
                }
                String inline = null;
                int equals = token.indexOf('=');
                if (token.startsWith("--") && equals > 0) {
                    inline = token.substring(equals + 1);
                    token = token.substring(0, equals);
                }
                Option option = option(token);
                if (option.value() == null) {
                    if (inline != null) {
                        throw usageFailure(token + " takes no value");
                    }
                    values.put(option.name(), "");
                } else if (inline != null) {
                    values.put(option.name(), inline);
                } else if (i + 1 < given.length) {
                    values.put(option.name(), given[++i]);
                } else {
                    throw usageFailure(token + " needs a value (<" + option.value() + ">)");
                }
            }
            if (positional.size() != positionalCount) {
                throw usageFailure(positionalProblem(positional));
            }
            return new CommandLine(this, false, List.copyOf(positional), Map.copyOf(values));
        }

        private Option option(String token) {
            for (Option o : options) {
                if (o.named(token)) {
                    return o;
                }
            }
            StringBuilder accepted = new StringBuilder();
            for (Option o : options) {
                accepted.append(accepted.length() == 0 ? "" : ", ").append(o.name());
            }
            throw usageFailure("unknown option " + token + "; it takes "
                    + (accepted.length() == 0 ? "only -h" : accepted + " and -h"));
        }

        private String positionalProblem(List<String> positional) {
            if (positionalCount == 0) {
                return "takes no arguments, got " + String.join(" ", positional);
            }
            return "expected " + positionalCount + " arguments (" + arguments + "), got " + positional.size()
                    + (positional.isEmpty() ? "" : " (" + String.join(" ", positional) + ")");
        }
    }

    final Spec spec;
    /** {@code -h} or {@code --help} was given: print {@link Spec#usage()} and do nothing else. */
    final boolean help;
    final List<String> positional;
    private final Map<String, String> values;

    private CommandLine(Spec spec, boolean help, List<String> positional, Map<String, String> values) {
        this.spec = spec;
        this.help = help;
        this.positional = positional;
        this.values = values;
    }

    /** True if the option (by its short name) was given. */
    boolean has(String option) {
        return values.containsKey(option);
    }

    /** The option's value, or null if it was not given. */
    String value(String option) {
        return values.get(option);
    }

    /** The option's value as a whole number in {@code [min, max]}, or {@code absent} if not given. */
    int number(String option, int absent, int min, int max) {
        String value = values.get(option);
        return value == null ? absent : number(option, value, min, max);
    }

    /**
     * {@code value} as a whole number in {@code [min, max]}.
     *
     * @param what the option or argument, for the message
     */
    int number(String what, String value, int min, int max) {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw spec.failure(what + " must be a whole number " + min + ".." + max + ", was '" + value + "'");
        }
        if (n < min || n > max) {
            throw spec.failure(what + " must be " + min + ".." + max + ", was " + n);
        }
        return (int) n;
    }
}
