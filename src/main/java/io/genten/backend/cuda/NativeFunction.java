package io.genten.backend.cuda;

import java.lang.foreign.FunctionDescriptor;

/**
 * One function of {@code native/include/genten.h}: its symbol, its C signature as an FFM
 * descriptor, and whether it is a short non-blocking launch that may skip the JVM's thread
 * state transition ({@code Linker.Option.critical(false)}).
 */
record NativeFunction(String name, FunctionDescriptor descriptor, boolean critical) {}
