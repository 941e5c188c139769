package org.irpverbs.ibal.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.internal.mad.PortMadService;
import org.irpverbs.ibal.mad.MadService;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.VerbsInterface;
import org.irpverbs.verbs.VerbsSpeedPath;

/**
 * One HCA as IBAL serves it (WinOF's CI-CA): the HCA's function device, the versioned verbs
 * interface QUERY_INTERFACE gave, what QUERY_CA and QUERY_PORT said, the port children, and the
 * one GET_ASYNC_EVENT request IBAL keeps pending on the HCA so that port changes reach it as a
 * completed request.
 *
 * <p>Thread-safe: fields are written only by operations on {@link IbalCore}'s serial queue and are
 * volatile (immutable snapshots) for readers.
 */
final class CiCa implements IbalCa {
    final DeviceObject hca;
    private volatile String name;
    private volatile State state = State.BINDING;
    private volatile String problem;
    private volatile int problemStatus = NtStatus.SUCCESS;
    private volatile VerbsInterface verbs;
    private volatile CaAttributes attributes;
    private volatile PortAttributes[] ports = new PortAttributes[0];
    /** The port children, by port number (index 0 unused); null where the port is not ACTIVE. */
    private volatile PortChild[] children = new PortChild[0];
    /**
     * The partition children, by port number (index 0 unused): an immutable list each, empty where
     * the port has none (it is not ACTIVE, or its table holds no configured P_Key).
     */
    private volatile List<List<PortChild>> partitions = List.of();
    /** The MAD services, by port number (index 0 unused); null where the port has none running. */
    private volatile PortMadService[] madServices = new PortMadService[0];
    /** The pending GET_ASYNC_EVENT on the HCA, or null. */
    volatile Irp eventRequest;

    CiCa(DeviceObject hca, String name) {
        this.hca = hca;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** The HCA's own name, once its verbs interface said it. */
    void setName(String name) {
        this.name = name;
    }

    @Override
    public State state() {
        return state;
    }

    void setState(State state) {
        this.state = state;
    }

    @Override
    public String problem() {
        return problem;
    }

    @Override
    public int problemStatus() {
        return problemStatus;
    }

    void refuse(int status, String why) {
        this.problemStatus = status;
        this.problem = why;
        this.state = State.REFUSED;
    }

    @Override
    public DeviceObject hcaDevice() {
        return hca;
    }

    @Override
    public int interfaceVersion() {
        VerbsInterface v = verbs;
        return v == null ? 0 : v.version();
    }

    VerbsInterface verbs() {
        return verbs;
    }

    void setVerbs(VerbsInterface verbs) {
        this.verbs = verbs;
    }

    @Override
    public CaAttributes attributes() {
        return attributes;
    }

    void setAttributes(CaAttributes attributes) {
        this.attributes = attributes;
        this.ports = new PortAttributes[attributes.physicalPorts()];
        this.children = new PortChild[attributes.physicalPorts() + 1];
        List<List<PortChild>> none = new ArrayList<>();
        for (int p = 0; p <= attributes.physicalPorts(); p++) {
            none.add(List.of());
        }
        this.partitions = List.copyOf(none);
        this.madServices = new PortMadService[attributes.physicalPorts() + 1];
    }

    @Override
    public List<PortAttributes> ports() {
        List<PortAttributes> out = new ArrayList<>();
        for (PortAttributes p : ports) {
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    int portCount() {
        return ports.length;
    }

    PortAttributes port(int number) {
        PortAttributes[] p = ports;
        return number >= 1 && number <= p.length ? p[number - 1] : null;
    }

    void setPort(PortAttributes port) {
        PortAttributes[] copy = Arrays.copyOf(ports, ports.length);
        copy[port.port() - 1] = port;
        ports = copy;
    }

    PortChild child(int port) {
        PortChild[] c = children;
        return port >= 1 && port < c.length ? c[port] : null;
    }

    void setChild(int port, PortChild child) {
        PortChild[] copy = Arrays.copyOf(children, children.length);
        copy[port] = child;
        children = copy;
    }

    /** The port's partition children, in the order of the configured keys. */
    List<PortChild> partitions(int port) {
        List<List<PortChild>> all = partitions;
        return port >= 1 && port < all.size() ? all.get(port) : List.of();
    }

    void setPartitions(int port, List<PortChild> children) {
        List<List<PortChild>> copy = new ArrayList<>(partitions);
        copy.set(port, List.copyOf(children));
        partitions = List.copyOf(copy);
    }

    @Override
    public MadService madService(int port) {
        PortMadService[] m = madServices;
        return port >= 1 && port < m.length ? m[port] : null;
    }

    /** Every MAD service of this CA not yet stopped (starting, running or stopping), for accounting. */
    final java.util.concurrent.ConcurrentLinkedQueue<PortMadService> madServicesAlive =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Whether no MAD service of this CA is between states (not yet started, starting or stopping). */
    boolean madServicesSettled() {
        for (PortMadService m : madServicesAlive) {
            PortMadService.State st = m.state();
            if (st == PortMadService.State.NEW || st == PortMadService.State.STARTING
                    || st == PortMadService.State.STOPPING) {
                return false;
            }
        }
        return true;
    }

    /** The HCA objects of {@code resource} (PD, MR, CQ, AH) IBAL's MAD services of this CA hold. */
    int madServicesHold(String resource) {
        int n = 0;
        for (PortMadService m : madServicesAlive) {
            n += m.held(resource);
        }
        return n;
    }

    /** Sets the port's MAD service (null: none); returns the one it replaces. */
    PortMadService setMadService(int port, PortMadService service) {
        PortMadService[] copy = Arrays.copyOf(madServices, madServices.length);
        PortMadService old = copy[port];
        copy[port] = service;
        madServices = copy;
        return old;
    }

    /** The children in port order, each port's child before its partitions' children. */
    List<PortChild> portChildren() {
        List<PortChild> out = new ArrayList<>();
        PortChild[] c = children;
        for (int p = 1; p < c.length; p++) {
            if (c[p] != null) {
                out.add(c[p]);
            }
            out.addAll(partitions(p));
        }
        return out;
    }

    @Override
    public List<IbalChild> children() {
        return new ArrayList<>(portChildren());
    }

    @Override
    public VerbsSpeedPath speedPath() {
        VerbsInterface v = verbs;
        return v == null ? null : v.speedPath();
    }

    @Override
    public String toString() {
        return name + " " + state + (problem == null ? "" : " (" + problem + ")");
    }
}
