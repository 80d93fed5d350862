#!/bin/sh
# the node labels topology 'local-coral' needs (edgeai cluster inspect --backend kubernetes reads them back)
set -e
kubectl label node laptop --overwrite edgeai.io/device=laptop edgeai.io/type=user_device edgeai.io/network=local edgeai.io/network-kind=lan edgeai.io/uplink-mbps=50 edgeai.io/downlink-mbps=500 edgeai.io/latency-ms=7.72
kubectl label node edge-1 --overwrite edgeai.io/device=nuc edgeai.io/type=edge edgeai.io/network=local edgeai.io/network-kind=lan edgeai.io/capability.tpu=true edgeai.io/uplink-mbps=50 edgeai.io/downlink-mbps=500 edgeai.io/latency-ms=7.72
kubectl label node edge-2 --overwrite edgeai.io/device=rpi4 edgeai.io/type=edge edgeai.io/network=local edgeai.io/network-kind=lan edgeai.io/uplink-mbps=50 edgeai.io/downlink-mbps=500 edgeai.io/latency-ms=7.72
kubectl label node cloud-1 --overwrite edgeai.io/device=xeon-cpu edgeai.io/type=cloud edgeai.io/network=cloud edgeai.io/network-kind=datacenter edgeai.io/uplink-mbps=1000 edgeai.io/downlink-mbps=1000 edgeai.io/latency-ms=7.72
