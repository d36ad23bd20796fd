package dev.patchbay.core;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses a server among the usable candidates (up, ready, weight &gt; 0, not full), honouring
 * weights. Called on event loops at connect time only, never per byte.
 */
public interface Router {

    Server choose(List<Server> candidates, SocketAddress client);

    /**
     * Whether {@code s} may take new sessions of this service at all (before up/ready/full
     * checks); {@code all} are the service's servers. Routers that route by role override it.
     */
    default boolean eligible(Server s, List<Server> all) {
        return true;
    }

    static Router of(ServiceSettings settings) {
        if (settings.router() == ServiceSettings.RouterKind.READCONNROUTE) {
            return new ReadConnRoute(settings.routerOptions());
        }
        return of(settings.router());
    }

    static Router of(ServiceSettings.RouterKind kind) {
        switch (kind) {
            case ROUNDROBIN:
                return new RoundRobin();
            case LEASTCONN:
                return new LeastConn();
            case SOURCE:
                return new SourceHash();
            case FIRST:
                return (candidates, client) -> candidates.get(0);
            default:
                throw new IllegalArgumentException(kind.toString());
        }
    }

    /**
     * Smooth weighted round robin (as nginx): each pick adds every candidate's weight to its
     * score, takes the highest and subtracts the total. Weights 3:1 give a a b a, not a a a b.
     */
    final class RoundRobin implements Router {
        private final Map<Server, long[]> scores = new IdentityHashMap<>();

        @Override
        public synchronized Server choose(List<Server> candidates, SocketAddress client) {
            long total = 0;
            Server best = null;
            long[] bestScore = null;
            for (Server s : candidates) {
                long[] score = scores.computeIfAbsent(s, k -> new long[1]);
                score[0] += s.weight();
                total += s.weight();
                if (best == null || score[0] > bestScore[0]) {
                    best = s;
                    bestScore = score;
                }
            }
            bestScore[0] -= total;
            return best;
        }
    }

    /** Fewest connections relative to weight; ties rotate so equal servers share the load. */
    final class LeastConn implements Router {
        private final AtomicInteger rotor = new AtomicInteger();

        @Override
        public Server choose(List<Server> candidates, SocketAddress client) {
            int n = candidates.size();
            int start = Math.floorMod(rotor.getAndIncrement(), n);
            Server best = null;
            double bestLoad = Double.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                Server s = candidates.get((start + i) % n);
                double load = (s.connections() + 1.0) / s.weight();
                if (load < bestLoad) {
                    best = s;
                    bestLoad = load;
                }
            }
            return best;
        }
    }

    /**
     * MaxScale's readconnroute: sessions go to the running servers whose role {@code router_options}
     * names, least connections first (weight-adjusted). {@code master}: only the master;
     * {@code slave}: slaves, or the master when no slave can take sessions (MaxScale's fallback);
     * {@code running}: any server.
     */
    final class ReadConnRoute implements Router {
        private final ServiceSettings.RouterOptions options;
        private final LeastConn leastConn = new LeastConn();

        public ReadConnRoute(ServiceSettings.RouterOptions options) {
            this.options = options;
        }

        @Override
        public boolean eligible(Server s, List<Server> all) {
            switch (options) {
                case MASTER:
                    return s.role() == Server.Role.MASTER;
                case SLAVE:
                    if (s.role() == Server.Role.SLAVE) {
                        return true;
                    }
                    if (s.role() != Server.Role.MASTER) {
                        return false;
                    }
                    for (Server o : all) {
                        if (o.role() == Server.Role.SLAVE && o.acceptsNewSessions()) {
                            return false;
                        }
                    }
                    return true;
                default:
                    return true;
            }
        }

        @Override
        public Server choose(List<Server> candidates, SocketAddress client) {
            return leastConn.choose(candidates, client);
        }
    }

    /**
     * Hash of the client address (not the port) over the weighted candidates, so a client keeps
     * its server while the set of usable servers stays the same.
     */
    final class SourceHash implements Router {
        @Override
        public Server choose(List<Server> candidates, SocketAddress client) {
            long total = 0;
            for (Server s : candidates) {
                total += s.weight();
            }
            long point = Math.floorMod(mix(hashOf(client)), total);
            for (Server s : candidates) {
                point -= s.weight();
                if (point < 0) {
                    return s;
                }
            }
            return candidates.get(candidates.size() - 1);
        }

        private static long hashOf(SocketAddress client) {
            if (client instanceof InetSocketAddress isa && isa.getAddress() != null) {
                return Arrays.hashCode(isa.getAddress().getAddress());
            }
            return client == null ? 0 : client.toString().hashCode();
        }

        // Murmur3's finalizer: spreads adjacent addresses (10.0.0.1, 10.0.0.2) across servers.
        private static long mix(long h) {
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            h *= 0xc4ceb9fe1a85ec53L;
            h ^= h >>> 33;
            return h;
        }
    }
}
