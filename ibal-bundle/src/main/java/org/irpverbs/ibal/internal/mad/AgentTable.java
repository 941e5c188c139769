package org.irpverbs.ibal.internal.mad;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.irpverbs.ibal.mad.MadAgentSpec;
import org.irpverbs.ibal.mad.MadHeader;
import org.irpverbs.ibal.mad.MadStatus;

/**
 * Which agent serves which (management class, class version, method) on one port, and what an
 * unsolicited request for which no agent is there gets (IBA 13.4.7): a class or version nobody
 * serves is "bad version" (0x0004), a method "method not supported" (0x0008), an attribute
 * outside the agent's list "method/attribute combination not supported" (0x000C).
 *
 * <p>Thread-safe without locks: the table is an immutable sorted map replaced by compare-and-set,
 * so lookups at DISPATCH never wait and registrations never see half an update.
 */
final class AgentTable {
    private final AtomicReference<NavigableMap<Integer, Agent>> table = new AtomicReference<>(new TreeMap<>());

    private static int key(int mgmtClass, int classVersion, int method) {
        return (mgmtClass << 16) | (classVersion << 8) | method;
    }

    /** Adds the agent's methods; null if added, else why not (the holder of a method it asks for). */
    String add(Agent agent) {
        MadAgentSpec spec = agent.spec();
        while (true) {
            NavigableMap<Integer, Agent> current = table.get();
            TreeMap<Integer, Agent> next = new TreeMap<>(current);
            for (int method : spec.methods()) {
                Agent holder = next.putIfAbsent(key(spec.mgmtClass(), spec.classVersion(), method), agent);
                if (holder != null) {
                    return String.format("class 0x%02X version %d method 0x%02X is already registered by agent '%s' (id %d)",
                            spec.mgmtClass(), spec.classVersion(), method, holder.spec().name(), holder.id());
                }
            }
            if (table.compareAndSet(current, next)) {
                return null;
            }
        }
    }

    /** Removes the agent's methods (only those it holds). */
    void remove(Agent agent) {
        while (true) {
            NavigableMap<Integer, Agent> current = table.get();
            TreeMap<Integer, Agent> next = new TreeMap<>(current);
            for (java.util.Iterator<Agent> i = next.values().iterator(); i.hasNext();) {
                if (i.next() == agent) {
                    i.remove();
                }
            }
            if (next.size() == current.size() || table.compareAndSet(current, next)) {
                return;
            }
        }
    }

    /** Whether any agent serves requests of this class (of any version). */
    boolean servesClass(int mgmtClass) {
        return !table.get().subMap(key(mgmtClass, 0, 0), true, key(mgmtClass, 0xFF, 0xFF), true).isEmpty();
    }

    /**
     * The agent for an unsolicited request, or null with {@code status[0]} the MAD status the
     * request is answered with.
     */
    Agent lookup(MadHeader h, int[] status) {
        NavigableMap<Integer, Agent> t = table.get();
        if (h.baseVersion() != MadHeader.BASE_VERSION) {
            status[0] = MadStatus.BAD_VERSION;
            return null;
        }
        int c = h.mgmtClass();
        int v = h.classVersion();
        Map<Integer, Agent> version = t.subMap(key(c, v, 0), true, key(c, v, 0xFF), true);
        if (version.isEmpty()) {
            status[0] = MadStatus.BAD_VERSION; // the class, or this version of it, is not supported
            return null;
        }
        Agent agent = version.get(key(c, v, h.method()));
        if (agent == null) {
            status[0] = MadStatus.UNSUPPORTED_METHOD;
            return null;
        }
        if (!agent.spec().attributes().isEmpty() && !agent.spec().attributes().contains(h.attributeId())) {
            status[0] = MadStatus.UNSUPPORTED_METHOD_ATTRIBUTE;
            return null;
        }
        status[0] = MadStatus.SUCCESS;
        return agent;
    }
}
