package org.irpverbs.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class TextTableTest {
    @Test
    public void columnsAlignNumbersRightAndTheLastColumnIsNotPadded() {
        String text = new TextTable("NAME", "COUNT", "NOTE").right(1)
                .row("a", 1, "short")
                .row("longer-name", 12345, null)
                .blank()
                .row("b", null, "x")
                .render("  ");
        assertEquals(""
                + "  NAME         COUNT  NOTE\n"
                + "  -----------  -----  -----\n"
                + "  a                1  short\n"
                + "  longer-name  12345\n"
                + "\n"
                + "  b                   x\n", text);
    }

    @Test
    public void aLineWiderThanTheWidthWrapsItsLastCellUnderItsColumn() {
        String text = new TextTable("NAME", "NOTE").width(40)
                .row("a", "one two three four five six seven eight nine")
                .row("b", "short")
                .render("");
        assertEquals(""
                + "NAME  NOTE\n"
                + "----  " + "-".repeat(34) + "\n"
                + "a     one two three four five six seven\n"
                + "      eight nine\n"
                + "b     short\n", text);
    }

    @Test
    public void aLastColumnThatStartsTooFarRightWrapsUnderTheIndent() {
        String text = new TextTable("A-VERY-LONG-FIRST-COLUMN", "NOTE").width(40)
                .row("x", "alpha beta gamma delta epsilon zeta eta theta")
                .render("  ");
        assertEquals(""
                + "  A-VERY-LONG-FIRST-COLUMN  NOTE\n"
                + "  ------------------------  ------------\n"
                + "  x\n"
                + "      alpha beta gamma delta epsilon\n"
                + "      zeta eta theta\n", text);
    }

    @Test
    public void aRowWithTooManyCellsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable("ONE").row("a", "b"));
    }
}
