package org.irpverbs.shell;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain-text table with aligned columns for terminal output: a header, a dashed rule under it,
 * rows, and blank separator rows. Numeric columns are right-aligned so digits line up; the last
 * column is never padded, so long free text (hardware IDs, details) does not widen every line, and
 * with {@link #width(int)} a line that would be wider has its last cell wrapped at spaces onto
 * continuation lines under that column (or, if the column starts too far right, under the
 * indent), so that a report fits a terminal.
 *
 * <p>Not thread-safe: build, render, discard.
 */
final class TextTable {
    /** How a column's cells are aligned. */
    enum Align {
        LEFT, RIGHT
    }

    private static final String GAP = "  ";
    /** Continuation lines of a wrapped cell get at least this many characters, or start at the indent. */
    private static final int MIN_WRAPPED = 24;

    private final String[] headers;
    private final Align[] aligns;
    /** Rows of cells; null marks a blank separator row. */
    private final List<String[]> rows = new ArrayList<>();
    private int width = Integer.MAX_VALUE;

    TextTable(String... headers) {
        this.headers = headers.clone();
        this.aligns = new Align[headers.length];
        Arrays.fill(aligns, Align.LEFT);
    }

    /** Right-aligns the given columns (numbers). */
    TextTable right(int... columns) {
        for (int c : columns) {
            aligns[c] = Align.RIGHT;
        }
        return this;
    }

    /**
     * Adds a row; null cells print empty; missing trailing cells are empty.
     *
     * @throws IllegalArgumentException if the row has more cells than the table has columns
     */
    TextTable row(Object... cells) {
        if (cells.length > headers.length) {
            throw new IllegalArgumentException("row has " + cells.length + " cells; the table has " + headers.length
                    + " columns");
        }
        String[] text = new String[headers.length];
        for (int i = 0; i < text.length; i++) {
            text[i] = i < cells.length && cells[i] != null ? String.valueOf(cells[i]) : "";
        }
        rows.add(text);
        return this;
    }

    /** Lines are at most {@code columns} characters wide; the last cell wraps to fit. */
    TextTable width(int columns) {
        this.width = columns;
        return this;
    }

    /** Adds an empty line (between groups of rows). */
    TextTable blank() {
        rows.add(null);
        return this;
    }

    int rowCount() {
        return (int) rows.stream().filter(r -> r != null).count();
    }

    /** Renders every line with {@code indent} in front, each ending with a newline. */
    String render(String indent) {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = headers[i].length();
        }
        for (String[] row : rows) {
            if (row != null) {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
        }
        int last = headers.length - 1;
        int lastStart = indent.length() + GAP.length() * last;
        for (int i = 0; i < last; i++) {
            lastStart += widths[i];
        }
        // the rule under a wrapped last column is as wide as the room it wraps to
        widths[last] = Math.max(headers[last].length(), Math.min(widths[last], width - lastStart));
        StringBuilder out = new StringBuilder();
        line(out, indent, headers, widths);
        String[] rule = new String[headers.length];
        for (int i = 0; i < rule.length; i++) {
            rule[i] = "-".repeat(widths[i]);
        }
        line(out, indent, rule, widths);
        for (String[] row : rows) {
            if (row == null) {
                out.append('\n');
            } else {
                line(out, indent, row, widths);
            }
        }
        return out.toString();
    }

    private void line(StringBuilder out, String indent, String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                line.append(GAP);
            }
            String cell = cells[i];
            int pad = widths[i] - cell.length();
            if (aligns[i] == Align.RIGHT) {
                line.append(" ".repeat(pad)).append(cell);
            } else {
                line.append(cell);
                if (i < cells.length - 1) {
                    line.append(" ".repeat(pad));
                }
            }
        }
        // a right-aligned or empty last column would otherwise leave trailing blanks
        int end = line.length();
        while (end > indent.length() && line.charAt(end - 1) == ' ') {
            end--;
        }
        String last = cells[cells.length - 1];
        if (end <= width || aligns[cells.length - 1] == Align.RIGHT || last.isEmpty()) {
            out.append(line, 0, end).append('\n');
            return;
        }
        int lastStart = end - last.length();
        wrap(out, line.substring(0, lastStart), last, lastStart, indent);
    }

    /** Writes {@code head} followed by {@code text} wrapped at spaces to {@link #width}. */
    private void wrap(StringBuilder out, String head, String text, int column, String indent) {
        String continuation = width - column >= MIN_WRAPPED ? " ".repeat(column) : indent + "    ";
        int room = width - column;
        String prefix = head;
        if (room < MIN_WRAPPED) {
            // the column starts too far right: the cell goes on its own lines, under the indent
            out.append(head.stripTrailing()).append('\n');
            prefix = continuation;
            room = width - continuation.length();
        }
        String rest = text;
        while (!rest.isEmpty()) {
            int cut = rest.length() <= room ? rest.length() : rest.lastIndexOf(' ', room);
            if (cut <= 0) {
                cut = Math.min(room, rest.length()); // one word longer than the room: break it
            }
            out.append(prefix).append(rest, 0, cut).append('\n');
            rest = rest.substring(cut).stripLeading();
            prefix = continuation;
            room = width - continuation.length();
        }
    }
}
