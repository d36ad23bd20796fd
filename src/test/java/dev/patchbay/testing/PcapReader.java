package dev.patchbay.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a classic pcap file of Ethernet frames carrying IPv4 or IPv6 TCP segments, and checks what a
 * packet tool checks: magic, link type, lengths, IP and TCP checksums (computed here, independently of
 * the writer). Test code only.
 */
public final class PcapReader {
    /** One TCP segment as read from the file. */
    public record Segment(long epochMicros, InetAddress src, int srcPort, InetAddress dst, int dstPort, long seq, long ack,
                   int flags, byte[] payload) {
        public boolean isSyn() {
            return (flags & 0x02) != 0;
        }

        public boolean isFin() {
            return (flags & 0x01) != 0;
        }

        public boolean hasAck() {
            return (flags & 0x10) != 0;
        }
    }

    private PcapReader() {}

    public static List<Segment> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 24) {
            throw new IOException("no pcap header (" + b.remaining() + " bytes)");
        }
        if (b.getInt() != 0xa1b2c3d4) {
            throw new IOException("bad magic");
        }
        if (b.getShort() != 2 || b.getShort() != 4) {
            throw new IOException("not pcap 2.4");
        }
        b.getInt();
        b.getInt();
        int snaplen = b.getInt();
        if (b.getInt() != 1) {
            throw new IOException("not Ethernet");
        }
        List<Segment> out = new ArrayList<>();
        while (b.remaining() > 0) {
            if (b.remaining() < 16) {
                throw new IOException("truncated record header");
            }
            long sec = b.getInt() & 0xffffffffL;
            long usec = b.getInt() & 0xffffffffL;
            int incl = b.getInt();
            int orig = b.getInt();
            if (incl != orig || incl > snaplen || usec >= 1_000_000) {
                throw new IOException("bad record header: incl=" + incl + " orig=" + orig + " usec=" + usec);
            }
            byte[] frame = new byte[incl];
            b.get(frame);
            out.add(parse(sec * 1_000_000 + usec, frame));
        }
        return out;
    }

    private static Segment parse(long t, byte[] f) throws IOException {
        ByteBuffer e = ByteBuffer.wrap(f).order(ByteOrder.BIG_ENDIAN);
        int etherType = e.getShort(12) & 0xffff;
        int ip = 14;
        InetAddress src;
        InetAddress dst;
        int tcp;
        int tcpLen;
        long pseudo;
        if (etherType == 0x0800) {
            if ((f[ip] & 0xff) != 0x45 || f[ip + 9] != 6) {
                throw new IOException("not IPv4/TCP without options");
            }
            int total = e.getShort(ip + 2) & 0xffff;
            if (total != f.length - 14) {
                throw new IOException("IPv4 total length " + total + " != " + (f.length - 14));
            }
            if (checksum(f, ip, 20, 0) != 0) {
                throw new IOException("bad IPv4 header checksum");
            }
            src = InetAddress.getByAddress(java.util.Arrays.copyOfRange(f, ip + 12, ip + 16));
            dst = InetAddress.getByAddress(java.util.Arrays.copyOfRange(f, ip + 16, ip + 20));
            tcp = ip + 20;
            tcpLen = total - 20;
            pseudo = sum(f, ip + 12, 8) + 6 + tcpLen;
        } else if (etherType == 0x86dd) {
            if (f[ip + 6] != 6) {
                throw new IOException("not IPv6/TCP");
            }
            tcpLen = e.getShort(ip + 4) & 0xffff;
            if (tcpLen != f.length - 54) {
                throw new IOException("IPv6 payload length " + tcpLen + " != " + (f.length - 54));
            }
            src = InetAddress.getByAddress(java.util.Arrays.copyOfRange(f, ip + 8, ip + 24));
            dst = InetAddress.getByAddress(java.util.Arrays.copyOfRange(f, ip + 24, ip + 40));
            tcp = ip + 40;
            pseudo = sum(f, ip + 8, 32) + 6 + tcpLen;
        } else {
            throw new IOException("ether type " + Integer.toHexString(etherType));
        }
        if (checksum(f, tcp, tcpLen, pseudo) != 0) {
            throw new IOException("bad TCP checksum");
        }
        int dataOffset = ((f[tcp + 12] & 0xff) >> 4) * 4;
        byte[] payload = java.util.Arrays.copyOfRange(f, tcp + dataOffset, tcp + tcpLen);
        return new Segment(t, src, e.getShort(tcp) & 0xffff, dst, e.getShort(tcp + 2) & 0xffff,
                e.getInt(tcp + 4) & 0xffffffffL, e.getInt(tcp + 8) & 0xffffffffL, f[tcp + 13] & 0xff, payload);
    }

    /** RFC 1071: the one's complement of the one's complement sum; 0 over data that holds its checksum. */
    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i < len; i++) {
            sum += (i % 2 == 0 ? (b[off + i] & 0xff) << 8 : b[off + i] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static long sum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        return s;
    }

    /** The payload of one direction in sequence order, checking that the segments follow one another. */
    public static byte[] stream(List<Segment> segs, int srcPort, long isn) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long next = (isn + 1) & 0xffffffffL;
        for (Segment s : segs) {
            if (s.srcPort() != srcPort || s.payload().length == 0) {
                continue;
            }
            if (s.seq() != next) {
                throw new IOException("segment at " + s.seq() + ", expected " + next);
            }
            out.write(s.payload());
            next = (next + s.payload().length) & 0xffffffffL;
        }
        return out.toByteArray();
    }
}
