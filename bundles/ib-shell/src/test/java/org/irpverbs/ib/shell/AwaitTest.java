package org.irpverbs.ib.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.After;
import org.junit.Test;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.PromiseFactory;

/**
 * What an interrupt does to the shell's waits for a verb: {@link Await#value} gives up, {@link
 * Await#releasing} does not, whenever the interrupt lands.
 */
public class AwaitTest {
    private final PromiseFactory promises = new PromiseFactory(PromiseFactory.inlineExecutor());

    @After
    public void clearSeam() {
        Await.beforeReleasingReadsTheValue = () -> {};
        Thread.interrupted();
    }

    /**
     * Regression: ShellCommandsIT saw an interrupted ib:send_lat leave a QP (and the PD and CQs it
     * holds) on its HCA. The QP's CREATE_QP had completed, but a second interrupt came between the
     * release's wait and its read of the value; the read threw, and the QP was taken for one never
     * made, so nothing destroyed it.
     */
    /**
     * A promise resolved through a {@code Deferred}, as every verb's is: its {@code getValue} checks
     * the thread's interrupt status even once resolved (a promise made resolved does not).
     */
    private <T> Promise<T> resolvedLikeAVerb(T value) {
        Deferred<T> deferred = promises.deferred();
        deferred.resolve(value);
        return deferred.getPromise();
    }

    @Test
    public void anInterruptBetweenTheReleasingWaitAndItsReadStillGivesTheValue() {
        Promise<String> made = resolvedLikeAVerb("qp 7");
        AtomicBoolean once = new AtomicBoolean();
        Await.beforeReleasingReadsTheValue = () -> {
            if (once.compareAndSet(false, true)) {
                Thread.currentThread().interrupt();
            }
        };
        assertEquals("qp 7", Await.releasing(made, "CREATE_QP on hca0"));
        assertTrue("the interrupt is passed on", Thread.interrupted());
    }

    @Test
    public void anInterruptBeforeTheReleasingWaitStillGivesTheValueAndIsPassedOn() {
        Thread.currentThread().interrupt();
        assertEquals("qp 8", Await.releasing(resolvedLikeAVerb("qp 8"), "CREATE_QP on hca0"));
        assertTrue(Thread.interrupted());
    }

    @Test
    public void anInterruptedValueWaitGivesUpWithInterrupted() {
        Thread.currentThread().interrupt();
        Promise<String> never = promises.<String>deferred().getPromise();
        Interrupted e = assertThrows(Interrupted.class, () -> Await.value(never, "ALLOC_PD on hca0"));
        assertTrue(e.getMessage(), e.getMessage().contains("ALLOC_PD on hca0"));
    }

    @Test
    public void aFailedVerbIsOneLineNamingIt() {
        Promise<String> failed = promises.failed(new IllegalStateException("no room"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Await.releasing(failed, "CREATE_CQ on hca1"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("CREATE_CQ on hca1 failed: "));
    }
}
