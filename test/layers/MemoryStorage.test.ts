import * as MemoryStorage from "../../src/layers/MemoryStorage.ts"
import { storageContract } from "./StorageContract.ts"

storageContract("MemoryStorage", MemoryStorage.layer)
