package dev.patchbay.mariadb.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * mysql_native_password as a proxy needs it (PROTOCOL.md §6.2–6.3). The server stores
 * {@code SHA1(SHA1(pw))}; the client sends {@code SHA1(pw) XOR SHA1(scramble || SHA1(SHA1(pw)))}.
 * From that token and the stored hash Patchbay recovers {@code SHA1(pw)} (never the password) and
 * computes the token for any backend's scramble. {@code SHA1(pw)} is a password equivalent: it
 * lives in memory only and is never logged.
 */
public final class NativePassword {
    public static final int SCRAMBLE_LENGTH = 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private NativePassword() {}

    /** 20 random printable bytes ('!'..'~'), as MaxScale sends: some clients mishandle other values. */
    public static byte[] newScramble() {
        byte[] s = new byte[SCRAMBLE_LENGTH];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) ('!' + RANDOM.nextInt('~' - '!' + 1));
        }
        return s;
    }

    public static byte[] sha1(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The stored form {@code '*' + HEX(SHA1(SHA1(pw)))} parsed to 20 bytes; null if not that form. */
    public static byte[] parseStoredHash(String s) {
        if (s == null || s.length() != 41 || s.charAt(0) != '*') {
            return null;
        }
        try {
            return HexFormat.of().parseHex(s, 1, 41);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Checks a client token against the stored hash for {@code scramble}. Returns SHA1(pw) when it
     * matches, else null. An empty stored hash (no password) accepts only an empty token.
     */
    public static byte[] verify(byte[] scramble, byte[] storedHash, byte[] token) {
        if (storedHash == null || storedHash.length == 0) {
            return token.length == 0 ? new byte[0] : null;
        }
        if (token.length != SCRAMBLE_LENGTH) {
            return null;
        }
        byte[] step = sha1(scramble, storedHash);
        byte[] sha1pw = xor(token, step);
        return MessageDigest.isEqual(sha1(sha1pw), storedHash) ? sha1pw : null;
    }

    /** The token a client with SHA1(pw) = {@code sha1pw} sends for {@code scramble}; empty for no password. */
    public static byte[] token(byte[] sha1pw, byte[] scramble) {
        if (sha1pw.length == 0) {
            return new byte[0];
        }
        return xor(sha1pw, sha1(scramble, sha1(sha1pw)));
    }

    /** The token for a cleartext password (the account loader logs in with the configured service password). */
    public static byte[] tokenForPassword(byte[] password, byte[] scramble) {
        return password.length == 0 ? new byte[0] : token(sha1(password), scramble);
    }

    private static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (byte) (a[i] ^ b[i % b.length]);
        }
        return out;
    }

    /**
     * MariaDB 11.4's zero-configuration TLS proof (MDEV-31855), the info string of the login OK:
     * {@code 0x01} + upper-case hex of {@code SHA256(SHA1(SHA1(pw)) || scramble || SHA256(certificate))}.
     * A client that cannot verify the server certificate accepts it if this matches what it
     * computes from its password (MariaDB Connector/C {@code run_plugin_auth}, Connector/J
     * {@code validateFingerPrint}).
     */
    public static byte[] tlsProof(byte[] storedHash, byte[] scramble, byte[] certificateDer) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] fingerprint = sha256.digest(certificateDer);
            sha256.update(storedHash);
            sha256.update(scramble);
            sha256.update(fingerprint);
            String hex = HexFormat.of().withUpperCase().formatHex(sha256.digest());
            byte[] out = new byte[1 + hex.length()];
            out[0] = 1;
            System.arraycopy(hex.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, out, 1, hex.length());
            return out;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Scrambles from handshakes are 20 bytes; only the first 20 take part. */
    public static byte[] scramble20(byte[] s) {
        return s.length <= SCRAMBLE_LENGTH ? s : Arrays.copyOf(s, SCRAMBLE_LENGTH);
    }
}
