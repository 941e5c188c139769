package org.irpverbs.softhca.fabric.internal;

import java.util.List;
import org.irpverbs.softhca.fabric.Fabric;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.FabricTransport;
import org.irpverbs.softhca.fabric.FrameReceiver;
import org.irpverbs.softhca.fabric.InProcessFabric;
import org.irpverbs.softhca.fabric.SwitchCounters;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.verbs.Mtu;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Registers the framework's one {@link Fabric} service (immediate, so that the fabric exists as
 * soon as the soft HCA bundle starts and HCAs can attach to it in any order). It delegates to an
 * {@link InProcessFabric}; when the component goes away every link goes down and every port is
 * detached, so the HCAs see their ports go down. Tests use the plain constructor or an
 * {@code InProcessFabric} directly.
 *
 * <p>Thread-safe, as the fabric it delegates to; activation and deactivation do not block.
 */
@Component(service = Fabric.class, immediate = true, property = "fabric.name=fabric0")
public final class FabricComponent implements Fabric {
    private final InProcessFabric fabric;

    /** A fabric named "fabric0" (also what DS calls). */
    public FabricComponent() {
        this.fabric = new InProcessFabric("fabric0");
    }

    /** Deactivation (and what a test calls to end the fabric): every link down, every port detached. */
    @Deactivate
    public void close() {
        fabric.close();
    }

    @Override
    public String name() {
        return fabric.name();
    }

    @Override
    public FabricPort attach(String name, long guid, int lid, Mtu mtu, FrameReceiver receiver) {
        return fabric.attach(name, guid, lid, mtu, receiver);
    }

    @Override
    public List<FabricPort> ports() {
        return fabric.ports();
    }

    @Override
    public FabricPort port(int lid) {
        return fabric.port(lid);
    }

    @Override
    public List<FabricPort> multicastMembers(int mlid) {
        return fabric.multicastMembers(mlid);
    }

    @Override
    public Gid multicastGid(int mlid) {
        return fabric.multicastGid(mlid);
    }

    @Override
    public SwitchCounters switchCounters() {
        return fabric.switchCounters();
    }

    @Override
    public void addTransport(FabricTransport transport) {
        fabric.addTransport(transport);
    }

    @Override
    public void removeTransport(FabricTransport transport) {
        fabric.removeTransport(transport);
    }
}
