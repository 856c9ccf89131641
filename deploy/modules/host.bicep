// The armbridge VM: network that exposes only HTTPS, the managed identity (system- or user-assigned),
// Application Insights, and what the VM runs. What may change between deployments (config, image,
// units, scripts, Caddyfile) travels in the VM's userData, which a redeploy may change and the VM
// re-reads from IMDS every minute; customData (immutable once the VM exists) is a fixed bootstrap.
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

@description('Key Vault secret (PEM certificate) that Caddy serves; empty: a Let\'s Encrypt certificate, which needs 443 open to the Internet.')
param tlsCertificateSecretName string

@description('The vault that holds the TLS certificate (and armbridge\'s secrets).')
param keyVaultName string

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

// ACME's TLS-ALPN challenge comes from the CA's unpublished addresses: without a Key Vault
// certificate, narrowing 443 would break every renewal, so only the Key Vault mode narrows it.
var httpsSources = empty(tlsCertificateSecretName) ? ['Internet'] : httpsSourceAddressPrefixes

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
          sourceAddressPrefixes: httpsSources
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

// Values the container reads from /etc/armbridge/armbridge.env (deploy/README.md, "Configuration").
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

var caddyfile = empty(tlsCertificateSecretName)
  ? loadTextContent('../caddy/Caddyfile')
  : loadTextContent('../caddy/Caddyfile.keyvault')

// Every file armbridge-sync installs on the VM (its MANAGED list), from this folder or this deployment.
var userDataFiles = [
  { path: '/usr/local/sbin/armbridge-sync', content: loadTextContent('../vm/armbridge-sync') }
  { path: '/usr/local/sbin/armbridge-imds-lockdown', content: loadTextContent('../imds/armbridge-imds-lockdown.sh') }
  { path: '/usr/local/sbin/check-imds-lockdown', content: loadTextContent('../imds/check-imds-lockdown.sh') }
  { path: '/usr/local/sbin/watch-imds-lockdown', content: loadTextContent('../imds/watch-imds-lockdown.sh') }
  { path: '/etc/systemd/system/armbridge.slice', content: loadTextContent('../systemd/armbridge.slice') }
  {
    path: '/etc/systemd/system/armbridge-imds-watch.service'
    content: loadTextContent('../systemd/armbridge-imds-watch.service')
  }
  {
    path: '/etc/systemd/system/armbridge-imds-watch.timer'
    content: loadTextContent('../systemd/armbridge-imds-watch.timer')
  }
  {
    path: '/etc/systemd/system/armbridge-imds-lockdown.service'
    content: loadTextContent('../systemd/armbridge-imds-lockdown.service')
  }
  { path: '/etc/systemd/system/armbridge.service', content: loadTextContent('../systemd/armbridge.service') }
  { path: '/etc/systemd/system/armbridge-sync.service', content: loadTextContent('../systemd/armbridge-sync.service') }
  { path: '/etc/systemd/system/armbridge-sync.timer', content: loadTextContent('../systemd/armbridge-sync.timer') }
  {
    path: '/etc/systemd/system/armbridge-health.service'
    content: loadTextContent('../systemd/armbridge-health.service')
  }
  { path: '/etc/systemd/system/armbridge-health.timer', content: loadTextContent('../systemd/armbridge-health.timer') }
  { path: '/etc/caddy/Caddyfile', content: replace(caddyfile, '{$ARMBRIDGE_FQDN}', fqdn) }
  { path: '/etc/armbridge/config.yaml', content: armbridgeConfig }
  { path: '/etc/armbridge/armbridge.env', content: '${armbridgeEnv}\n' }
]

// What armbridge-sync reads from IMDS (schema in deploy/vm/armbridge-sync). No secret: any process
// on the VM could read userData, so secrets stay in Key Vault.
var vmUserData = {
  schema: 'armbridge-userdata/1'
  files: userDataFiles
  tls: empty(tlsCertificateSecretName)
    ? null
    : { keyVaultSecretUrl: 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/secrets/${tlsCertificateSecretName}' }
  identityClientId: identityType == 'UserAssigned' ? userIdentity!.properties.clientId : null
}

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: '${namePrefix}-vm'
  location: location
  identity: identityType == 'UserAssigned'
    ? {
        type: 'UserAssigned'
        userAssignedIdentities: { '${userIdentity!.id}': {} }
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
      // First boot only, and the same for every deployment: a changed customData would be refused.
      customData: loadFileAsBase64('../cloud-init.yaml')
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
    // Mutable: a redeploy with another config or image changes only this (at most 64 KB, base64).
    userData: base64(string(vmUserData))
  }
}

output principalId string = identityType == 'UserAssigned'
  ? userIdentity!.properties.principalId
  : vm.identity.principalId
output fqdn string = fqdn
output insightsId string = insights.id
output vmName string = vm.name
output httpsSources array = httpsSources
