#!/usr/bin/env bash
# The network lab of tests/common/lab/, by hand: two network namespaces joined by a veth pair, an nft
# "NSG" on the far side, dnsmasq + nginx (HTTP, and TLS with a lab CA made here by openssl)
# (+ chronyd) serving every host of the embedded catalog on lab addresses, a few blocks, an Azure
# Firewall 470 and a TLS-inspecting "firewall" — then `apim-probe check` (table output) inside,
# showing several failure reasons. Everything is torn down on exit (trap), also on Ctrl-C or an
# error.
#
#   sudo scripts/demo.sh [path/to/apim-probe]     (default: target/release/apim-probe, built
#                                                    if missing)
#
# Only 198.18.0.0/15 and 2001:2::/48 are used, only inside the two namespaces made here; the
# binary resolves through the lab's dnsmasq (--dns-server), so nothing leaves the machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/target/release/apim-probe}
if [[ ! -x $BIN ]]; then
  if [[ $# -gt 0 ]]; then
    echo "demo: no executable at $BIN" >&2
    exit 2
  fi
  echo "demo: building $BIN" >&2
  (cd "$ROOT" && cargo build --release --quiet)
fi
BIN=$(realpath "$BIN")

[[ $(id -u) -eq 0 ]] || { echo "LAB SKIPPED: the demo needs root" >&2; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"
for tool in ip nft dnsmasq nginx ss jq sysctl openssl; do
  command -v "$tool" >/dev/null || { echo "LAB SKIPPED: $tool missing (apt-get install -y iproute2 nftables dnsmasq nginx jq procps openssl)" >&2; exit 1; }
done

TAG=apimdemo-$$
S=$TAG-subnet
A=$TAG-azure
WORK=$(mktemp -d "/tmp/$TAG-XXXXXX")
PIDS=()

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for ns in "$S" "$A"; do
    if ip netns list | grep -qw "^$ns"; then
      # Anything left inside was started here.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
      ip netns del "$ns"
    fi
  done
  rm -rf "$WORK"
  echo "demo: lab removed ($S, $A)" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Namespaces and the wire -------------------------------------------------------------------
DNS=198.19.255.53
ip netns add "$S"
ip netns add "$A"
for ns in "$S" "$A"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
# The far side sends the rejects: no ICMP rate limit there.
ip netns exec "$A" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
  net.ipv4.icmp_msgs_burst=1000000 net.ipv6.icmp.ratelimit=0
ip -n "$S" -batch - <<EOF
link add s0 address 02:00:5e:10:00:02 type veth peer name a0 address 02:00:5e:10:00:01 netns $A
link set lo up
addr add 198.18.0.2/24 dev s0
addr add 2001:2::2/64 dev s0 nodad
link set s0 up
neigh replace 198.18.0.1 lladdr 02:00:5e:10:00:01 dev s0 nud permanent
neigh replace 2001:2::1 lladdr 02:00:5e:10:00:01 dev s0 nud permanent
route add 198.19.0.0/16 via 198.18.0.1
route add 2001:2:0:1::/64 via 2001:2::1
EOF
ip -n "$A" -batch - <<EOF
link set lo up
addr add 198.18.0.1/24 dev a0
addr add 2001:2::1/64 dev a0 nodad
link set a0 up
neigh replace 198.18.0.2 lladdr 02:00:5e:10:00:02 dev a0 nud permanent
neigh replace 2001:2::2 lladdr 02:00:5e:10:00:02 dev a0 nud permanent
addr add $DNS/32 dev lo
EOF
ip netns exec "$A" nft -f - <<'EOF'
table inet nsg {
  chain input { type filter hook input priority 0; policy accept; }
}
EOF

# What the embedded catalog probes ----------------------------------------------------------
SCOPE=(--region westeurope --set sql_server=demosql --set storage_account=demostorage
       --set key_vault=demovault --set event_hub_namespace=demohub)
ip netns exec "$S" "$BIN" list -o json "${SCOPE[@]}" --dns-server "$DNS" > "$WORK/plan.json"
mapfile -t HOSTS < <(jq -r '.probes[] | select(.skip == null and .check != "dns") | .host' "$WORK/plan.json" | sort -u)
# TLS ports get nginx with certificates; every other TCP port a plain nginx listener (HTTP, or
# just a handshake for bare `tcp` rows). TDS, SMB and AMQP rows are all blocked below, so they
# need no server here (the tests' lab has one for each: tests/common/lab/).
mapfile -t TLS_PORTS < <(jq -r '.probes[] | select(.skip == null and .check == "tls") | .port' "$WORK/plan.json" | sort -un)
mapfile -t PORTS < <(jq -r '.probes[] | select(.skip == null and (.check == "http" or .check == "tcp")) | .port' "$WORK/plan.json" | sort -un | grep -vxF -f <(printf '%s\n' "${TLS_PORTS[@]}"))
NTP=$(jq -r '[.probes[] | select(.skip == null and .check == "ntp")] | length' "$WORK/plan.json")
host_of() { jq -r --arg id "$1" '[.probes[] | select(.id == $id and .skip == null)][0].host' "$WORK/plan.json"; }

# DNS: one name will not exist.
NXNAME=westeurope.login.microsoft.com
# One address pair per host, on the far side's loopback; dnsmasq maps the names to them.
declare -A V4 V6
{
  echo "no-resolv"; echo "no-hosts"; echo "bind-interfaces"; echo "listen-address=$DNS"
  echo "user=root"; echo "log-facility=$WORK/dnsmasq.log"
} > "$WORK/dnsmasq.conf"
n=0
: > "$WORK/addrs.batch"
for h in "${HOSTS[@]}" login.microsoftonline.com; do
  [[ -n ${V4[$h]:-} ]] && continue
  n=$((n + 1))
  V4[$h]=198.19.$((n / 250)).$((n % 250 + 1))
  V6[$h]=2001:2:0:1::$(printf '%x' "$n")
  echo "addr add ${V4[$h]}/32 dev lo" >> "$WORK/addrs.batch"
  echo "addr add ${V6[$h]}/128 dev lo nodad" >> "$WORK/addrs.batch"
  if [[ $h == "$NXNAME" ]]; then
    echo "address=/$h/" >> "$WORK/dnsmasq.conf"   # NXDOMAIN
  else
    echo "host-record=$h,${V4[$h]},${V6[$h]}" >> "$WORK/dnsmasq.conf"
    echo "local=/$h/" >> "$WORK/dnsmasq.conf"     # local only: a missing type is NODATA
  fi
done
ip -n "$A" -batch "$WORK/addrs.batch"

# A lab CA (trusted via SSL_CERT_FILE and expected via --expect-ca), one certificate naming every
# host, and an "interceptor" CA re-signing one host, as a TLS-inspecting firewall would.
SAN=$(printf 'DNS:%s,' "${HOSTS[@]}"); SAN=${SAN%,}
cert() { # cert <name> <ca-stem> <san>: a leaf signed by the CA
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -addext "subjectAltName=$3" -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
  openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$2.crt" -CAkey "$WORK/$2.key" \
    -CAcreateserial -copy_extensions copyall -days 2 -out "$WORK/$1.crt" 2>/dev/null
}
for ca in "Lab Root CA:lab-ca" "Lab Interceptor CA:interceptor-ca"; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=${ca%%:*}" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$WORK/${ca#*:}.key" -out "$WORK/${ca#*:}.crt" 2>/dev/null
done
cert lab lab-ca "$SAN"
cert inspected interceptor-ca "$SAN"

# Blocks, one per failure reason ------------------------------------------------------------
SQL=$(host_of sql); SHARE=$(host_of file-share); VAULT=$(host_of key-vault)
HUB=$(host_of event-hub); PKI=$(host_of internal-pki)
INSPECTED=$(host_of azure-monitor); DENIED=$(host_of go-microsoft)
ip netns exec "$A" nft -f - <<EOF
add rule inet nsg input ip daddr ${V4[$SQL]} tcp dport 1433 drop
add rule inet nsg input ip6 daddr ${V6[$SQL]} tcp dport 1433 drop
add rule inet nsg input ip daddr ${V4[$SHARE]} tcp dport 445 reject with tcp reset
add rule inet nsg input ip6 daddr ${V6[$SHARE]} tcp dport 445 reject with tcp reset
add rule inet nsg input ip daddr ${V4[$VAULT]} tcp dport 443 reject with icmpx type admin-prohibited
add rule inet nsg input ip6 daddr ${V6[$VAULT]} tcp dport 443 reject with icmpx type admin-prohibited
add rule inet nsg input ip daddr ${V4[$HUB]} reject with icmp type host-unreachable
add rule inet nsg input ip6 daddr ${V6[$HUB]} reject with icmpv6 type addr-unreachable
EOF
# A route in the subnet itself that throws the traffic away.
ip -n "$S" route add blackhole "${V4[$PKI]}/32"
ip -n "$S" route add blackhole "${V6[$PKI]}/128"

# Servers -----------------------------------------------------------------------------------
ip netns exec "$A" dnsmasq --keep-in-foreground --pid-file= --conf-file="$WORK/dnsmasq.conf" \
  > "$WORK/dnsmasq.out" 2>&1 &
PIDS+=($!)
mkdir -p "$WORK/nginx"
{
  echo "daemon off; master_process off; worker_processes 1;"
  echo "pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log;"
  echo "events { worker_connections 4096; }"
  echo "http { access_log off; client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;"
  echo "  fastcgi_temp_path $WORK/nginx/fastcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;"
  echo "  server_names_hash_bucket_size 128;"
  echo "  server {"
  for p in "${PORTS[@]}"; do echo "    listen $p; listen [::]:$p;"; done
  echo "    location / { return 200 \"apim-probe lab\\n\"; }"
  echo "  }"
  # Azure Firewall's answer when no application rule allows the request.
  echo "  server {"
  for p in "${PORTS[@]}"; do echo "    listen $p; listen [::]:$p;"; done
  echo "    server_name $DENIED;"
  echo "    location / { return 470 \"Action: Deny. Reason: No rule matched to proceed.\\n\"; }"
  echo "  }"
  echo "  server {"
  for p in "${TLS_PORTS[@]}"; do echo "    listen $p ssl; listen [::]:$p ssl;"; done
  echo "    ssl_certificate $WORK/lab.crt; ssl_certificate_key $WORK/lab.key;"
  echo "    location / { return 200 \"apim-probe lab tls\\n\"; }"
  echo "  }"
  echo "  server {"
  for p in "${TLS_PORTS[@]}"; do echo "    listen ${V4[$INSPECTED]}:$p ssl; listen [${V6[$INSPECTED]}]:$p ssl;"; done
  echo "    ssl_certificate $WORK/inspected.crt; ssl_certificate_key $WORK/inspected.key;"
  echo "    location / { return 200 \"apim-probe lab tls\\n\"; }"
  echo "  }"
  echo "}"
} > "$WORK/nginx/nginx.conf"
ip netns exec "$A" nginx -p "$WORK/nginx/" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" \
  > "$WORK/nginx.out" 2>&1 &
PIDS+=($!)
if [[ $NTP -gt 0 ]] && command -v chronyd >/dev/null; then
  printf 'local stratum 8\nallow all\nport 123\ncmdport 0\nbindcmdaddress /\npidfile %s/chronyd.pid\n' "$WORK" > "$WORK/chrony.conf"
  # -x: serve this machine's clock, never adjust it.
  ip netns exec "$A" chronyd -d -x -u root -f "$WORK/chrony.conf" > "$WORK/chronyd.out" 2>&1 &
  PIDS+=($!)
fi

# Wait (bounded) until everything listens.
for _ in $(seq 100); do
  listening=$(ip netns exec "$A" ss -Hlntu | awk '{print $5}')
  missing=0
  grep -q "$DNS:53" <<< "$listening" || missing=1
  for p in "${PORTS[@]}" "${TLS_PORTS[@]}"; do grep -q ":$p\$" <<< "$listening" || missing=1; done
  [[ $missing -eq 0 ]] && break
  sleep 0.05
done
[[ $missing -eq 0 ]] || { echo "demo: servers not listening:"; cat "$WORK"/*.out; exit 1; }

# The run -----------------------------------------------------------------------------------
cat <<EOF

Lab up: $S (apim-probe) <-> $A (dnsmasq $DNS, nginx TLS on ${TLS_PORTS[*]}, HTTP/TCP on ${PORTS[*]}).
Blocked: $SQL:1433 dropped, $SHARE:445 reset, $VAULT:443 ICMP admin-prohibited,
         $HUB ICMP host-unreachable, $PKI blackhole route in the subnet, $NXNAME NXDOMAIN.
Firewall: $DENIED:80 answered with Azure Firewall's 470, $INSPECTED re-signed by "Lab Interceptor CA".

\$ SSL_CERT_FILE=lab+interceptor apim-probe check ${SCOPE[*]} --timeout 2s --expect-ca lab-ca.crt --dns-server $DNS
EOF
cat "$WORK/lab-ca.crt" "$WORK/interceptor-ca.crt" > "$WORK/trusted.pem"
set +e
SSL_CERT_FILE="$WORK/trusted.pem" ip netns exec "$S" "$BIN" check "${SCOPE[@]}" --timeout 2s \
  --expect-ca "$WORK/lab-ca.crt" --dns-server "$DNS"
rc=$?
set -e
echo
echo "demo: apim-probe exited with $rc (1 expected: required dependencies fail)"
