package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON subset of safetensors headers: every value kind, whitespace everywhere JSON allows it, and clean errors. */
class JsonTest {
    @Test void everyValueKindWithWhitespaceEverywhere() {
        var m = Json.parseObject(" \t\r\n{ \"a\" : [ ] , \"b\" : { } , \"c\" : [ 1 , -2 , 3.5 , -1e+2 , 2E-3 ] , "
                + "\"d\" : true , \"e\" : false , \"f\" : null , \"g\" : { \"h\" : [ [ ] , { } ] } } \n ");
        var want = new LinkedHashMap<String, Object>();
        want.put("a", List.of());
        want.put("b", Map.of());
        want.put("c", List.of(1L, -2L, 3.5, -100.0, 0.002));
        want.put("d", true);
        want.put("e", false);
        want.put("f", null);
        want.put("g", Map.of("h", List.of(List.of(), Map.of())));
        assertEquals(want, m);
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g"), List.copyOf(m.keySet()), "keys keep file order");
        assertEquals(Map.of(), Json.parseObject("{}"));
    }

    @Test void stringEscapes() {
        var m = Json.parseObject("{\"s\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0041\\u00e9\\uD83D\\uDE00\"}");
        assertEquals("q\" b\\ s/ \b\f\n\r\t Aé😀", m.get("s"));
    }

    @Test void quoteEscapesWhatJsonRequiresAndNothingElse() {
        assertEquals("\"a b\"", Json.quote("a b"), "a space is written as is");
        assertEquals("\"\\u001f\\u0000\"", Json.quote("\u001f\u0000"));
        assertEquals("\"\\\"\\\\\\n\\r\\t\"", Json.quote("\"\\\n\r\t"));
        assertEquals("\"é😀~\"", Json.quote("é😀~"));
        for (String s : new String[] {"plain", "\u0001\u001f \u007f", "\"\\/", "é😀"}) {
            assertEquals(s, Json.parseObject("{\"k\":" + Json.quote(s) + "}").get("k"), "round trip of " + s);
        }
    }

    /** Malformed input is an IllegalArgumentException naming the position (never an index exception). */
    @Test void malformedInputGivesIllegalArgumentExceptions() {
        String[] bad = {"", " ", "[]", "\"s\"", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":12", "{\"a\":1,}", "{\"a\" 1}",
            "{\"a\":1} x", "{\"a\":nul}", "{\"a\":tru}", "{\"a\":\"x", "{\"a\":\"\\u12", "{\"a\":[1,]}",
            "{\"a\":[1 2]}", "{\"a\":-}", "{\"a\":1.2.3}", "{\"a\":@}", "{a:1}", "{\"a\":[}"};
        for (String s : bad) {
            var e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject(s), "'" + s + "'");
            assertTrue(e.getMessage().contains("at character"), "'" + s + "': " + e.getMessage());
        }
        // a unicode escape with non-hex digits: still an IllegalArgumentException (NumberFormatException), so a
        // safetensors reader reports a corrupt header
        assertThrows(IllegalArgumentException.class, () -> Json.parseObject("{\"a\":\"\\u12\"}"));
    }
}
