package org.irpverbs.softhca.engine;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A context table (QPC, CQC, MPT) as the hardware indexes it: a fixed number of slots, allocated
 * in pages of 4096 on first use so that a 16M-entry profile costs nothing until used.
 *
 * <p>Thread-safe: lookups are lock-free reads the data path does from any thread; only the engine
 * thread writes.
 */
final class ContextTable<T> {
    private static final int PAGE_BITS = 12;
    private static final int PAGE = 1 << PAGE_BITS;

    private final int size;
    private final AtomicReferenceArray<AtomicReferenceArray<T>> pages;

    ContextTable(int size) {
        this.size = size;
        this.pages = new AtomicReferenceArray<>((size + PAGE - 1) >>> PAGE_BITS);
    }

    int size() {
        return size;
    }

    T get(int index) {
        if (index < 0 || index >= size) {
            return null;
        }
        AtomicReferenceArray<T> page = pages.get(index >>> PAGE_BITS);
        return page == null ? null : page.get(index & (PAGE - 1));
    }

    void set(int index, T value) {
        AtomicReferenceArray<T> page = pages.get(index >>> PAGE_BITS);
        if (page == null) {
            pages.compareAndSet(index >>> PAGE_BITS, null, new AtomicReferenceArray<>(PAGE));
            page = pages.get(index >>> PAGE_BITS);
        }
        page.set(index & (PAGE - 1), value);
    }

    void forEach(Consumer<T> action) {
        for (int p = 0; p < pages.length(); p++) {
            AtomicReferenceArray<T> page = pages.get(p);
            if (page != null) {
                for (int i = 0; i < PAGE; i++) {
                    T v = page.get(i);
                    if (v != null) {
                        action.accept(v);
                    }
                }
            }
        }
    }
}
