// The in-process handles tests edit the world's jobs with (sim.spark, sim.flink, sim.dataarts).
// Every write pins the job, so churn leaves it exactly as the test set it; reads hand out copies,
// so a test cannot change the world by accident.

import { randomUUID } from "node:crypto";
import type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./world/jobs.js";
import type { World } from "./world/world.js";

export interface SparkControl {
  list(): SparkSession[];
  get(id: string): SparkSession | undefined;
  /** Creates (id generated when absent) or merges into an existing job; the job is pinned. */
  upsert(fields: Partial<SparkSession>): SparkSession;
  update(id: string, fields: Partial<SparkSession>): SparkSession;
  remove(id: string): boolean;
}

export interface FlinkControl {
  list(): FlinkJobRecord[];
  get(jobId: number): FlinkJobRecord | undefined;
  upsert(fields: Partial<FlinkJobRecord>): FlinkJobRecord;
  update(jobId: number, fields: Partial<FlinkJobRecord>): FlinkJobRecord;
  remove(jobId: number): boolean;
}

export interface DataArtsControl {
  workspaces(): string[];
  list(workspace?: string, jobType?: DataArtsJobType): DataArtsJobRecord[];
  get(workspace: string, name: string): DataArtsJobRecord | undefined;
  upsert(workspace: string, fields: Partial<DataArtsJobRecord> & { name: string }): DataArtsJobRecord;
  update(workspace: string, name: string, fields: Partial<DataArtsJobRecord>): DataArtsJobRecord;
  remove(workspace: string, name: string): boolean;
}

function copySpark(j: SparkSession): SparkSession {
  return {
    ...j,
    log: [...j.log],
    appId: Array.isArray(j.appId) ? [...j.appId] : j.appId,
  };
}

export function sparkControl(world: World): SparkControl {
  const spark: SparkControl = {
    list: () => world.spark.all().map(copySpark),
    get: (id) => {
      const j = world.spark.get(id);
      return j ? copySpark(j) : undefined;
    },
    upsert: (fields) => {
      const existing = fields.id ? world.spark.get(fields.id) : undefined;
      const id = fields.id ?? randomUUID();
      const queue = fields.queue ?? existing?.queue ?? "default";
      const base: SparkSession = existing ?? {
        id,
        state: "running",
        appId: "",
        log: [],
        sc_type: "A",
        cluster_name: queue,
        queue,
        create_time: world.now,
        update_time: world.now,
        duration: 0,
        name: `job-${id.slice(0, 8)}`,
        owner: "tester",
        proxyUser: "tester",
        kind: "spark",
        image: "",
        req_body: "{}",
        feature: "basic",
        spark_version: "3.3.1",
      };
      const job = { ...base, ...fields, id };
      world.pinSpark(id);
      world.spark.put(job);
      return copySpark(job);
    },
    update: (id, fields) => {
      if (!world.spark.get(id)) throw new Error(`no Spark batch ${id}`);
      return spark.upsert({ ...fields, id });
    },
    remove: (id) => {
      world.pinSpark(id);
      return world.spark.delete(id);
    },
  };
  return spark;
}

export function flinkControl(world: World): FlinkControl {
  const flink: FlinkControl = {
    list: () => world.flink.all().map((j) => ({ ...j })),
    get: (jobId) => {
      const j = world.flink.get(String(jobId));
      return j ? { ...j } : undefined;
    },
    upsert: (fields) => {
      const jobId = fields.job_id ?? world.allocateFlinkId();
      const existing = world.flink.get(String(jobId));
      const base: FlinkJobRecord = existing ?? {
        job_id: jobId,
        name: `flink-${jobId}`,
        desc: "",
        user_name: "tester",
        job_type: "flink_opensource_sql_job",
        status: "job_running",
        status_desc: "",
        create_time: world.now,
        start_time: world.now,
        duration: 0,
        queue_name: "default",
        restart_times: 0,
        root_id: -1,
        graph_editor_enabled: false,
        has_savepoint: false,
        update_time: world.now,
        user_id: "0".repeat(32),
        run_mode: "exclusive_cluster",
      };
      const job = { ...base, ...fields, job_id: jobId };
      world.pinFlink(jobId);
      world.flink.put(job);
      return { ...job };
    },
    update: (jobId, fields) => {
      if (!world.flink.get(String(jobId))) throw new Error(`no Flink job ${jobId}`);
      return flink.upsert({ ...fields, job_id: jobId });
    },
    remove: (jobId) => {
      world.pinFlink(jobId);
      return world.flink.delete(String(jobId));
    },
  };
  return flink;
}

export function dataartsControl(world: World): DataArtsControl {
  const workspaceOf = (id: string) => {
    const ws = world.workspaces.get(id);
    if (!ws) throw new Error(`no DataArts workspace '${id}' (configure it in options.workspaces)`);
    return ws;
  };

  const dataarts: DataArtsControl = {
    workspaces: () => [...world.workspaces.keys()],
    list: (workspace = "", jobType) => {
      const ws = workspaceOf(workspace);
      const types: DataArtsJobType[] = jobType ? [jobType] : ["BATCH", "REAL_TIME"];
      return types.flatMap((t) => ws.byType[t].all().map((j) => ({ ...j })));
    },
    get: (workspace, name) => {
      const j = workspaceOf(workspace).get(name);
      return j ? { ...j } : undefined;
    },
    upsert: (workspace, fields) => {
      const ws = workspaceOf(workspace);
      const existing = ws.get(fields.name);
      const jobType = fields.jobType ?? existing?.jobType ?? "BATCH";
      const base: DataArtsJobRecord = existing ?? {
        name: fields.name,
        jobType,
        owner: "tester",
        priority: 0,
        status: jobType === "BATCH" ? "SCHEDULING" : "NORMAL",
        createUser: "tester",
        createTime: world.now,
        startTime: world.now,
        lastUpdateTime: world.now,
        lastUpdateUser: "tester",
        path: "/",
        singleNodeJobFlag: false,
      };
      const job: DataArtsJobRecord = { ...base, ...fields, jobType };
      if (existing) {
        world.pinDataArts(existing);
        ws.byType[existing.jobType].delete(existing.name);
      }
      ws.byType[jobType].put(job);
      return { ...job };
    },
    update: (workspace, name, fields) => {
      if (!workspaceOf(workspace).get(name))
        throw new Error(`no DataArts job '${name}' in workspace '${workspace}'`);
      return dataarts.upsert(workspace, { ...fields, name });
    },
    remove: (workspace, name) => {
      const ws = workspaceOf(workspace);
      const existing = ws.get(name);
      if (!existing) return false;
      world.pinDataArts(existing);
      return ws.byType[existing.jobType].delete(name);
    },
  };
  return dataarts;
}
