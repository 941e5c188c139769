package org.irpverbs.irp;

/**
 * Who originated a request. {@link #KERNEL}: a trusted bundle; buffers and handles are taken as
 * given. {@link #USER}: an untrusted client of the device-control path; buffer sizes, IOCTL access
 * and handle ownership are validated before a driver sees the request.
 */
public enum RequestorMode {
    KERNEL, USER
}
