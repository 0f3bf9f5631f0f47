import { contextBridge, ipcRenderer } from 'electron'
import { createPreloadApi } from './api.ts'

// The window's only bridge: four named functions. ipcRenderer itself stays here.
contextBridge.exposeInMainWorld('taskdeck', createPreloadApi(ipcRenderer))
