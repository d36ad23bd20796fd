package dev.patchbay.admin.rest;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * HS256 JSON Web Tokens for {@code /v1/auth}, signed with a random key made when the REST API starts:
 * tokens die with the process, as MaxScale's do. Claims as MaxScale: {@code iss}, {@code sub} and
 * {@code aud} (the user), {@code account} (admin or basic), {@code iat} and {@code exp}.
 */
final class Jwt {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final byte[] key = new byte[32];
    private final String issuer;

    /** A verified token's subject and account. */
    record Claims(String user, boolean admin, long expiresEpochSeconds) {}

    Jwt(String issuer) {
        new SecureRandom().nextBytes(key);
        this.issuer = issuer;
    }

    String create(String user, boolean admin, long maxAgeSeconds) {
        long now = System.currentTimeMillis() / 1000;
        ObjectNode claims = Json.object();
        claims.put("iss", issuer);
        claims.put("sub", user);
        claims.put("aud", user);
        claims.put("account", admin ? "admin" : "basic");
        claims.put("iat", now);
        claims.put("exp", now + maxAgeSeconds);
        String body = HEADER + "." + B64.encodeToString(Json.compact(claims).getBytes(StandardCharsets.UTF_8));
        return body + "." + B64.encodeToString(sign(body));
    }

    /** The claims of a token this process signed and that has not expired, or null. */
    Claims verify(String token) {
        if (token == null || token.length() > 4096) {
            return null;
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            JsonNode header = Json.MAPPER.readTree(B64D.decode(parts[0]));
            if (header == null || !"HS256".equals(header.path("alg").asString(""))) {
                return null;
            }
            byte[] sig = B64D.decode(parts[2]);
            if (!MessageDigest.isEqual(sig, sign(parts[0] + "." + parts[1]))) {
                return null;
            }
            JsonNode claims = Json.MAPPER.readTree(B64D.decode(parts[1]));
            if (claims == null || !claims.isObject()) {
                return null;
            }
            String sub = claims.path("sub").asString("");
            long exp = claims.path("exp").asLong(0);
            if (sub.isEmpty() || !issuer.equals(claims.path("iss").asString(""))
                    || exp <= System.currentTimeMillis() / 1000) {
                return null;
            }
            return new Claims(sub, "admin".equals(claims.path("account").asString("")), exp);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private byte[] sign(String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
