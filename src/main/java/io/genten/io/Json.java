package io.genten.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small JSON subset that safetensors headers use: objects, arrays, strings, numbers. The
 * input is untrusted, so the parser is bounded: nesting deeper than {@link #MAX_DEPTH} (which
 * would overflow the stack), more than {@link #MAX_VALUES} values in all, and duplicate keys (which
 * would let a later entry silently replace an earlier one) are errors.
 */
final class Json {
    static final int MAX_DEPTH = 32;
    static final int MAX_VALUES = 1 << 20;
    private final String s;
    private int i;
    private int depth;
    private int values;

    private Json(String s) { this.s = s; }

    static Map<String, Object> parseObject(String text) {
        var p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) throw p.error("trailing characters");
        if (!(v instanceof Map<?, ?>)) throw p.error("top level is not an object");
        @SuppressWarnings("unchecked") var m = (Map<String, Object>) v;
        return m;
    }

    static String quote(String v) {
        var b = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + i);
    }

    private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

    private char peek() {
        if (i >= s.length()) throw error("unexpected end");
        return s.charAt(i);
    }

    private void expect(char c) {
        if (peek() != c) throw error("expected '" + c + "'");
        i++;
    }

    private Object value() {
        ws();
        char c = peek();
        if (++values > MAX_VALUES) throw error("more than " + MAX_VALUES + " values");
        if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
            try {
                return c == '{' ? object() : array();
            } finally {
                depth--;
            }
        }
        return switch (c) {
            case '"' -> string();
            case 't', 'f', 'n' -> literal();
            default -> number();
        };
    }

    private Map<String, Object> object() {
        expect('{');
        var m = new LinkedHashMap<String, Object>();
        ws();
        if (peek() == '}') { i++; return m; }
        while (true) {
            ws();
            int keyAt = i;
            String k = string();
            ws();
            expect(':');
            if (m.containsKey(k)) {
                i = keyAt;
                throw error("duplicate key " + Json.quote(Printable.of(k)));
            }
            m.put(k, value());
            ws();
            if (peek() == ',') { i++; continue; }
            expect('}');
            return m;
        }
    }

    private List<Object> array() {
        expect('[');
        var l = new ArrayList<Object>();
        ws();
        if (peek() == ']') { i++; return l; }
        while (true) {
            l.add(value());
            ws();
            if (peek() == ',') { i++; continue; }
            expect(']');
            return l;
        }
    }

    private String string() {
        expect('"');
        var b = new StringBuilder();
        while (true) {
            char c = peek();
            i++;
            if (c == '"') return b.toString();
            if (c < 0x20) throw error("control character in a string");
            if (c == '\\') {
                char e = peek();
                i++;
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw error("bad unicode escape");
                        int code = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = Character.digit(s.charAt(i + k), 16);
                            if (d < 0) throw error("bad unicode escape");
                            code = code * 16 + d;
                        }
                        b.append((char) code);
                        i += 4;
                    }
                    case '"', '\\', '/' -> b.append(e);
                    default -> throw error("bad escape '\\" + Printable.of(e) + "'");
                }
            } else b.append(c);
        }
    }

    private Object literal() {
        for (var lit : new String[] {"true", "false", "null"}) {
            if (s.startsWith(lit, i)) {
                i += lit.length();
                return lit.equals("null") ? null : Boolean.valueOf(lit);
            }
        }
        throw error("bad literal");
    }

    private Number number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        if (start == i) throw error("unexpected character '" + Printable.of(s.charAt(i)) + "'");
        String t = s.substring(start, i);
        try {
            if (t.contains(".") || t.contains("e") || t.contains("E")) return Double.parseDouble(t);
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw error("bad number " + t);
        }
    }
}
