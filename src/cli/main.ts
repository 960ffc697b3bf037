#!/usr/bin/env node
/**
 * The `doip` command: `serve`, and the client commands.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import { Command } from "effect/cli"
import { packageVersion } from "../server/ServerInfo.ts"
import { commands } from "./ClientCommands.ts"
import { serve } from "./ServeCommand.ts"

const doip = Command.make("doip").pipe(
  Command.withDescription("DOIP server and client for FAIR Digital Objects"),
  Command.withSubcommands([serve, ...commands])
)

doip.pipe(
  Command.run({ version: packageVersion }),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
