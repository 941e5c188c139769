package org.irpverbs.irp;

import java.nio.ByteBuffer;

/**
 * One device layer's view of a request ({@code IO_STACK_LOCATION}): the function and parameters
 * this layer was asked to perform, the device it belongs to, and the completion routine the layer
 * above set for it. Owned by whichever layer currently owns the request; not thread-safe.
 */
public final class IoStackLocation {
    MajorFunction major;
    PnpMinorFunction minor;
    int ioControlCode;
    ByteBuffer inputBuffer;
    ByteBuffer outputBuffer;
    Object argument;
    long offset;
    DeviceObject device;
    FileObject fileObject;
    CompletionRoutine completionRoutine;
    Object completionContext;
    boolean invokeOnSuccess;
    boolean invokeOnError;
    boolean invokeOnCancel;
    /**
     * Set by {@link Irp#setCompletionRoutineEx}: the device the routine belongs to, and the remove
     * lock of that device the routine holds a reference on until it has run or is dropped.
     */
    DeviceObject routineDevice;
    RemoveLock routineLock;
    /** The framework holds this device's remove lock for the request while this location is live. */
    boolean removeLockHeld;
    /** SL_PENDING_RETURNED: the layer at this location returned (or will return) PENDING. */
    boolean pendingReturned;

    IoStackLocation() {}

    public MajorFunction majorFunction() {
        return major;
    }

    public PnpMinorFunction minorFunction() {
        return minor;
    }

    public int ioControlCode() {
        return ioControlCode;
    }

    /** Input data (read from position to limit); null if none. */
    public ByteBuffer inputBuffer() {
        return inputBuffer;
    }

    /** Output space (written from position up to limit); null if none. */
    public ByteBuffer outputBuffer() {
        return outputBuffer;
    }

    /** {@code inputBuffer().remaining()}, 0 without a buffer. */
    public int inputLength() {
        return inputBuffer == null ? 0 : inputBuffer.remaining();
    }

    /** {@code outputBuffer().remaining()}, 0 without a buffer. */
    public int outputLength() {
        return outputBuffer == null ? 0 : outputBuffer.remaining();
    }

    /** An argument object for internal device control and PnP (e.g. the interface type queried). */
    public Object argument() {
        return argument;
    }

    /** Byte offset for READ and WRITE. */
    public long offset() {
        return offset;
    }

    /** The device this location belongs to (set when the request was passed to it). */
    public DeviceObject device() {
        return device;
    }

    public FileObject fileObject() {
        return fileObject;
    }

    public IoStackLocation setMajorFunction(MajorFunction major) {
        this.major = major;
        return this;
    }

    public IoStackLocation setMinorFunction(PnpMinorFunction minor) {
        this.minor = minor;
        return this;
    }

    public IoStackLocation setIoControlCode(int ioControlCode) {
        this.ioControlCode = ioControlCode;
        return this;
    }

    public IoStackLocation setInputBuffer(ByteBuffer inputBuffer) {
        this.inputBuffer = inputBuffer;
        return this;
    }

    public IoStackLocation setOutputBuffer(ByteBuffer outputBuffer) {
        this.outputBuffer = outputBuffer;
        return this;
    }

    public IoStackLocation setArgument(Object argument) {
        this.argument = argument;
        return this;
    }

    public IoStackLocation setOffset(long offset) {
        this.offset = offset;
        return this;
    }

    public IoStackLocation setFileObject(FileObject fileObject) {
        this.fileObject = fileObject;
        return this;
    }

    /** Copies the parameters (not the completion routine) from another location. */
    void copyParametersFrom(IoStackLocation other) {
        major = other.major;
        minor = other.minor;
        ioControlCode = other.ioControlCode;
        inputBuffer = other.inputBuffer;
        outputBuffer = other.outputBuffer;
        argument = other.argument;
        offset = other.offset;
        fileObject = other.fileObject;
    }

    /** Drops the completion routine's hold on its device, if it has one (the routine will not run). */
    void releaseRoutineReference() {
        RemoveLock held = routineLock;
        if (held != null) {
            routineLock = null;
            routineDevice = null;
            held.releaseReference();
        }
    }

    void clear() {
        releaseRoutineReference();
        major = null;
        minor = null;
        ioControlCode = 0;
        inputBuffer = null;
        outputBuffer = null;
        argument = null;
        offset = 0;
        device = null;
        fileObject = null;
        completionRoutine = null;
        completionContext = null;
        removeLockHeld = false;
        pendingReturned = false;
    }
}
