// The armbridge VM: network that exposes only HTTPS, the managed identity (system- or user-assigned),
// Application Insights, and the cloud-init that installs the container, the IMDS lock-down and Caddy.
param location string
param namePrefix string

@allowed(['SystemAssigned', 'UserAssigned'])
param identityType string

param armbridgeImage string
param armbridgeConfig string
param adminUsername string
param sshPublicKey string
param vmSize string
param dnsLabel string
param httpsSourceAddressPrefixes array

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: false
  }
}

resource userIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = if (identityType == 'UserAssigned') {
  name: '${namePrefix}-identity'
  location: location
}

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: '${namePrefix}-nsg'
  location: location
  properties: {
    securityRules: [
      {
        name: 'allow-https'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: httpsSourceAddressPrefixes
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '443'
        }
      }
      {
        // Above Azure's default rules (which allow the virtual network and the load balancer).
        name: 'deny-everything-else'
        properties: {
          priority: 4096
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource network 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: '${namePrefix}-vnet'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.80.0.0/24'] }
    subnets: [
      {
        name: 'armbridge'
        properties: {
          addressPrefix: '10.80.0.0/27'
          networkSecurityGroup: { id: nsg.id }
        }
      }
    ]
  }
}

resource publicIp 'Microsoft.Network/publicIPAddresses@2024-01-01' = {
  name: '${namePrefix}-ip'
  location: location
  sku: { name: 'Standard' }
  properties: {
    publicIPAllocationMethod: 'Static'
    dnsSettings: { domainNameLabel: dnsLabel }
  }
}

resource nic 'Microsoft.Network/networkInterfaces@2024-01-01' = {
  name: '${namePrefix}-nic'
  location: location
  properties: {
    networkSecurityGroup: { id: nsg.id }
    ipConfigurations: [
      {
        name: 'primary'
        properties: {
          subnet: { id: network.properties.subnets[0].id }
          privateIPAllocationMethod: 'Dynamic'
          publicIPAddress: { id: publicIp.id }
        }
      }
    ]
  }
}

var fqdn = publicIp.properties.dnsSettings.fqdn

// Values the container reads from /etc/armbridge/armbridge.env (README, "Configuration").
var armbridgeEnv = join(
  concat(
    [
      'ARMBRIDGE_IMAGE=${armbridgeImage}'
      'APPLICATIONINSIGHTS_CONNECTION_STRING=${insights.properties.ConnectionString}'
    ],
    identityType == 'UserAssigned' ? ['ARMBRIDGE_IDENTITY_CLIENT_ID=${userIdentity!.properties.clientId}'] : []
  ),
  '\n'
)

// Every @@NAME@@ of cloud-init.yaml, filled with a file of this folder or a value of this deployment.
var cloudInitValues = {
  IMDS_LOCKDOWN: loadFileAsBase64('../imds/armbridge-imds-lockdown.sh')
  IMDS_CHECK: loadFileAsBase64('../imds/check-imds-lockdown.sh')
  IMDS_WATCH: loadFileAsBase64('../imds/watch-imds-lockdown.sh')
  IMDS_LOCKDOWN_UNIT: loadFileAsBase64('../systemd/armbridge-imds-lockdown.service')
  ARMBRIDGE_SLICE: loadFileAsBase64('../systemd/armbridge.slice')
  IMDS_WATCH_UNIT: loadFileAsBase64('../systemd/armbridge-imds-watch.service')
  IMDS_WATCH_TIMER: loadFileAsBase64('../systemd/armbridge-imds-watch.timer')
  ARMBRIDGE_UNIT: loadFileAsBase64('../systemd/armbridge.service')
  CADDYFILE: base64(replace(loadTextContent('../caddy/Caddyfile'), '{$ARMBRIDGE_FQDN}', fqdn))
  ARMBRIDGE_CONFIG: base64(armbridgeConfig)
  ARMBRIDGE_ENV: base64('${armbridgeEnv}\n')
}
var cloudInit = reduce(
  items(cloudInitValues),
  loadTextContent('../cloud-init.yaml'),
  (text, entry) => replace(text, '@@${entry.key}@@', entry.value)
)

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: '${namePrefix}-vm'
  location: location
  identity: identityType == 'UserAssigned'
    ? {
        type: 'UserAssigned'
        userAssignedIdentities: { '${userIdentity.id}': {} }
      }
    : { type: 'SystemAssigned' }
  properties: {
    hardwareProfile: { vmSize: vmSize }
    securityProfile: {
      securityType: 'TrustedLaunch'
      uefiSettings: { secureBootEnabled: true, vTpmEnabled: true }
    }
    storageProfile: {
      imageReference: {
        publisher: 'Canonical'
        offer: 'ubuntu-24_04-lts'
        sku: 'server'
        version: 'latest'
      }
      osDisk: {
        createOption: 'FromImage'
        managedDisk: { storageAccountType: 'StandardSSD_LRS' }
      }
    }
    osProfile: {
      computerName: '${namePrefix}-vm'
      adminUsername: adminUsername
      customData: base64(cloudInit)
      linuxConfiguration: {
        disablePasswordAuthentication: true
        ssh: {
          publicKeys: [
            {
              path: '/home/${adminUsername}/.ssh/authorized_keys'
              keyData: sshPublicKey
            }
          ]
        }
      }
    }
    networkProfile: { networkInterfaces: [{ id: nic.id }] }
    diagnosticsProfile: { bootDiagnostics: { enabled: true } }
  }
}

output principalId string = identityType == 'UserAssigned'
  ? userIdentity!.properties.principalId
  : vm.identity.principalId
output fqdn string = fqdn
output vmName string = vm.name
