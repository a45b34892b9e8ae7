package io.genten.backend.cuda;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP pointer at a raw address we own (device memory, our stream): JavaCPP's own idiom of a
 * Pointer subclass that sets the protected {@code address}; it never deallocates anything.
 */
final class DevicePointer extends Pointer {
    DevicePointer(long address) {
        this.address = address;
    }
}
