// Prints "<float bits> <double bits>" of Double.parseDouble(Float.toString(f)) for typical
// hyperparameters and random floats: the reference of decimal_check.cpp.
public class DecimalValues {
    public static void main(String[] args) {
        var sb = new StringBuilder();
        float[] fixed = {0.9f, 0.999f, 0.99f, 0.5f, 0.0f, 1e-8f, 1e-6f, 1e-5f, 1e-3f, 2e-4f, 2e-3f, 1e-4f, 0.01f, 0.1f,
                0.2f, 0.3f, 1f, 3f, 1e10f, 1.17549435E-38f, 1e-40f, Float.MIN_VALUE, Float.MAX_VALUE, 0.0002f, 0.95f, 0.98f};
        var rnd = new java.util.Random(42);
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200000;
        for (int i = 0; i < fixed.length + n; i++) {
            float f = i < fixed.length ? fixed[i]
                    : switch (i % 3) {
                        case 0 -> Float.intBitsToFloat(rnd.nextInt() & 0x7fffffff);
                        case 1 -> rnd.nextFloat();
                        default -> (float) Math.pow(2, rnd.nextInt(60) - 30); // powers of two: asymmetric intervals
                    };
            if (Float.isNaN(f) || Float.isInfinite(f)) continue;
            double d = Double.parseDouble(Float.toString(f));
            sb.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ')
                    .append(Long.toHexString(Double.doubleToRawLongBits(d))).append('\n');
        }
        System.out.print(sb);
    }
}
