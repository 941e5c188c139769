package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** IBAL's {@code mode} configuration attribute: its values, and a bad one logged once with the default used. */
public class IbalModeTest {
    @Test
    public void queuedAndLegacyParseAsTheConfigurationSpellsThem() {
        assertEquals(IbalMode.QUEUED, IbalMode.parse("queued"));
        assertEquals(IbalMode.LEGACY, IbalMode.parse("legacy"));
        assertEquals(IbalMode.LEGACY, IbalMode.parse(" Legacy "));
        assertEquals(IbalMode.QUEUED, IbalMode.parse(IbalMode.DEFAULT));
        for (IbalMode m : IbalMode.values()) {
            assertEquals(m, IbalMode.parse(m.configValue()));
        }
    }

    @Test
    public void aBadValueIsRefusedNamingTheAttributeAndWhatItAccepts() {
        for (String bad : new String[] {"legacy2", "", "threads", null}) {
            try {
                IbalMode.parse(bad);
                fail("parsed '" + bad + "'");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("mode must be queued or legacy, was "));
                assertTrue(e.getMessage(), e.getMessage().endsWith(bad == null ? "missing" : "'" + bad + "'"));
            }
        }
    }

    @Test
    public void fromConfigLogsOneLineNamingThePidAndUsesTheDefault() {
        List<String> logged = new ArrayList<>();
        assertEquals(IbalMode.QUEUED, IbalMode.fromConfig("blocking", IbalMode.PID, logged::add));
        assertEquals(List.of("configuration org.irpverbs.ibal: mode must be queued or legacy, was 'blocking'; using queued"),
                logged);
        logged.clear();
        assertEquals(IbalMode.LEGACY, IbalMode.fromConfig("legacy", IbalMode.PID, logged::add));
        assertEquals(IbalMode.QUEUED, IbalMode.fromConfig("queued", IbalMode.PID, logged::add));
        assertEquals("good values log nothing", List.of(), logged);
        // the production overload logs through slf4j and still falls back
        assertEquals(IbalMode.QUEUED, IbalMode.fromConfig(null, IbalMode.PID));
    }

    @Test
    public void theComponentsMetatypeDefaultIsQueued() throws Exception {
        Object declared = IbalComponent.Config.class.getMethod("mode").getDefaultValue();
        assertEquals(IbalMode.DEFAULT, declared);
        assertEquals(IbalMode.QUEUED, IbalMode.parse((String) declared));
    }

    @Test
    public void aNullModeIsRefusedByTheConstructor() {
        try {
            new IbalBusDriver(null, IbalCore.Lifecycle.NONE, null);
            fail("constructed IBAL without a mode");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("needs a mode"));
        }
    }
}
