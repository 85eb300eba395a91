// The pod of the write-path and client-request benches. A Deployment's pod as the ReplicaSet
// controller sends it (Go's encoding: defaults filled in).
export const podCreate = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    generateName: 'web-7d9c6b8f5d-',
    namespace: 'bench',
    creationTimestamp: null,
    labels: { app: 'web', 'pod-template-hash': '7d9c6b8f5d', tier: 'frontend' },
    annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-05T11:00:00Z' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-7d9c6b8f5d',
        uid: '6f1c2b7e-8a4d-4c1e-9b3f-2d5e7a9c1b0f',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    volumes: [{ name: 'config', configMap: { name: 'web-config', defaultMode: 420 } }],
    containers: [
      {
        name: 'app',
        image: 'registry.example/web:1.4.2',
        args: ['--port=8080', '--log-level=info'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'MODE', value: 'production' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
        readinessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
  },
  status: {},
};

// The status a kubelet reports once the pod runs.
export const runningStatus = {
  phase: 'Running',
  conditions: [
    { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-05T11:35:03Z' },
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-05T11:35:02Z' },
    { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-05T11:35:05Z' },
    { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-05T11:35:05Z' },
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-05T11:35:01Z' },
  ],
  hostIP: '10.200.0.42',
  hostIPs: [{ ip: '10.200.0.42' }],
  podIP: '10.244.42.17',
  podIPs: [{ ip: '10.244.42.17' }],
  startTime: '2026-12-05T11:35:02Z',
  containerStatuses: [
    {
      name: 'app',
      state: { running: { startedAt: '2026-12-05T11:35:04Z' } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: 'registry.example/web:1.4.2',
      imageID: 'registry.example/web@sha256:4b0f3c2a1e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b',
      containerID: 'containerd://9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19f8e7d6c5b4a3f2e1d0c9b8a7f6',
      started: true,
    },
  ],
  qosClass: 'Burstable',
};
