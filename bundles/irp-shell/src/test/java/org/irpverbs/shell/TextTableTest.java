package org.irpverbs.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

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
    public void aRowWithTooManyCellsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable("ONE").row("a", "b"));
    }
}
