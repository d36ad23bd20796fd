package dev.patchbay.filter;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Writes a classic pcap file (the format tcpdump and Wireshark read): a global header, then one
 * Ethernet frame per TCP segment of a synthetic IPv4 or IPv6 conversation. Checksums are computed,
 * so Wireshark shows no errors. Not thread-safe: one writer thread owns each instance.
 */
final class Pcap {
    static final int LINKTYPE_ETHERNET = 1;
    static final int SNAPLEN = 262144;
    /** Largest TCP payload per segment (fits both IPv4's and IPv6's 16-bit length fields). */
    static final int MAX_SEGMENT = 65000;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    private static final byte[] CLIENT_MAC = {0x02, 0, 0, 0, 0, 0x01};
    private static final byte[] SERVER_MAC = {0x02, 0, 0, 0, 0, 0x02};

    private final OutputStream out;
    private int ipId;

    Pcap(OutputStream out) {
        this.out = out;
    }

    void writeHeader() throws IOException {
        byte[] h = new byte[24];
        le32(h, 0, 0xa1b2c3d4);
        le16(h, 4, 2);
        le16(h, 6, 4);
        le32(h, 16, SNAPLEN);
        le32(h, 20, LINKTYPE_ETHERNET);
        out.write(h);
    }

    /** One side of the conversation: address and port. */
    record Endpoint(InetAddress address, int port) {}

    /**
     * Both endpoints in one address family: IPv4-mapped IPv6 addresses become IPv4; if the families
     * still differ, the IPv4 one is written as IPv4-mapped IPv6.
     */
    static Endpoint[] sameFamily(Endpoint a, Endpoint b) {
        // Java already reads ::ffff:a.b.c.d as an Inet4Address, so mapped addresses arrive as IPv4.
        InetAddress x = a.address();
        InetAddress y = b.address();
        if ((x instanceof Inet4Address) != (y instanceof Inet4Address)) {
            x = toV6(x);
            y = toV6(y);
        }
        return new Endpoint[] {new Endpoint(x, a.port()), new Endpoint(y, b.port())};
    }

    private static InetAddress toV6(InetAddress a) {
        if (a instanceof Inet6Address) {
            return a;
        }
        byte[] v4 = a.getAddress();
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(v4, 0, v6, 12, 4);
        try {
            return Inet6Address.getByAddress(null, v6, -1);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes one TCP segment from {@code src} to {@code dst} with {@code len} payload bytes of {@code data} at {@code off}. */
    void segment(long epochMicros, Endpoint src, Endpoint dst, boolean fromClient, long seq, long ack, int flags,
                 byte[] data, int off, int len) throws IOException {
        boolean v4 = src.address() instanceof Inet4Address;
        int ipHeader = v4 ? 20 : 40;
        int tcpLen = 20 + len;
        int frameLen = 14 + ipHeader + tcpLen;
        byte[] f = new byte[16 + frameLen];
        // Record header.
        le32(f, 0, (int) (epochMicros / 1_000_000));
        le32(f, 4, (int) (epochMicros % 1_000_000));
        le32(f, 8, frameLen);
        le32(f, 12, frameLen);
        int p = 16;
        // Ethernet.
        System.arraycopy(fromClient ? SERVER_MAC : CLIENT_MAC, 0, f, p, 6);
        System.arraycopy(fromClient ? CLIENT_MAC : SERVER_MAC, 0, f, p + 6, 6);
        be16(f, p + 12, v4 ? 0x0800 : 0x86dd);
        p += 14;
        byte[] s = src.address().getAddress();
        byte[] d = dst.address().getAddress();
        if (v4) {
            f[p] = 0x45;
            be16(f, p + 2, 20 + tcpLen);
            be16(f, p + 4, ipId++ & 0xffff);
            be16(f, p + 6, 0x4000);
            f[p + 8] = 64;
            f[p + 9] = 6;
            System.arraycopy(s, 0, f, p + 12, 4);
            System.arraycopy(d, 0, f, p + 16, 4);
            be16(f, p + 10, checksum(f, p, 20, 0));
        } else {
            be32(f, p, 0x60000000);
            be16(f, p + 4, tcpLen);
            f[p + 6] = 6;
            f[p + 7] = 64;
            System.arraycopy(s, 0, f, p + 8, 16);
            System.arraycopy(d, 0, f, p + 24, 16);
        }
        p += ipHeader;
        int tcp = p;
        be16(f, p, src.port());
        be16(f, p + 2, dst.port());
        be32(f, p + 4, (int) seq);
        be32(f, p + 8, (flags & ACK) != 0 ? (int) ack : 0);
        f[p + 12] = 0x50;
        f[p + 13] = (byte) flags;
        be16(f, p + 14, 65535);
        if (len > 0) {
            System.arraycopy(data, off, f, p + 20, len);
        }
        // Pseudo-header sum: addresses, protocol, TCP length.
        long sum = 0;
        sum = add(sum, s);
        sum = add(sum, d);
        sum += 6;
        sum += tcpLen;
        be16(f, tcp + 16, checksum(f, tcp, tcpLen, sum));
        out.write(f);
    }

    private static long add(long sum, byte[] b) {
        for (int i = 0; i < b.length; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        return sum;
    }

    /** The Internet checksum of {@code len} bytes at {@code off}, starting from {@code initial}. */
    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        int i = off;
        int end = off + len;
        for (; i + 1 < end; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < end) {
            sum += (b[i] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static void le16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
    }

    private static void le32(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
        b[o + 2] = (byte) (v >> 16);
        b[o + 3] = (byte) (v >> 24);
    }

    private static void be16(byte[] b, int o, int v) {
        b[o] = (byte) (v >> 8);
        b[o + 1] = (byte) v;
    }

    private static void be32(byte[] b, int o, int v) {
        b[o] = (byte) (v >> 24);
        b[o + 1] = (byte) (v >> 16);
        b[o + 2] = (byte) (v >> 8);
        b[o + 3] = (byte) v;
    }
}
